import sys

from regenpolicy.build import main

sys.exit(main())
