"""`python -m keras_adegan VERB ...`: the `keras-adegan` command, from a checkout (no install).

Example:
    $ python -m keras_adegan score --model runs/digits-class0-seed0/model.keras my_images/
"""

import sys

from keras_adegan.cli import main

sys.exit(main())
