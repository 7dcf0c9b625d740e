"""`python -m keras_adegan.train ...`, the design card's spelling of `keras-adegan train`.

Only run as a script: the package's `keras_adegan.train` is the function `keras_adegan.runs.train`
(the command line itself is `keras_adegan.cli.train`), and nothing imports this module.
"""

if __name__ == "__main__":
    import sys

    from keras_adegan.cli.train import main

    sys.exit(main())
