import sys

from regenpolicy.build.cli import main

sys.exit(main())
