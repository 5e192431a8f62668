"""The JSON wire format shared by the server and the REST store (standard library only)."""
