import sys

from regenpolicy.build.cli import main

if __name__ == "__main__":
    sys.exit(main())
