"""Projects: run an MLproject (a directory or a git repository) as a tracked run.

    import runwell.projects

    submitted = runwell.projects.run(
        "https://github.com/org/wine#training", version="v1.2",
        parameters={"alpha": 0.5}, env_manager="virtualenv",
    )
    submitted.run_id, submitted.get_status()        # '3f2a...', 'FINISHED'

The same from a shell: ``runwell run URI -P alpha=0.5 -v v1.2``. spec.py reads the MLproject
file, sources.py fetches the code, environments.py builds where it runs, launch.py creates
the run and starts the command, submitted.py follows it to its end.
"""

from runwell.projects.launch import ProjectRunFailed, run
from runwell.projects.submitted import SubmittedRun

__all__ = ["ProjectRunFailed", "SubmittedRun", "run"]
