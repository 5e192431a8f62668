"""Routers, one module per resource; ``runwell.server.app`` lists and mounts them."""
