"""Entry point of the render worker: `python -I <dir>/renderloop_worker/worker.py --driver NAME ...`.

Isolated mode (-I) puts neither this file's directory nor the environment's paths on sys.path, so
the directory that holds the package is added here, and nothing else.
"""

import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from renderloop_worker.core import main
    sys.exit(main(sys.argv[1:]))
