"""The search space and objectives of the hyperparameter search (no TensorFlow here, so that
the command line can describe them before loading it).

Example:
    >>> SEARCH_SPACE["gamma"]
    ('log', 1.0, 100.0)
"""

OBJECTIVES = ("labelled", "unsupervised")
ALIASES = {"n_c": "n_patterns"}  # the paper's names of tunable fields
OBJECTIVE_NAME = "val_objective"
# name -> (kind, low, high) for the default search space; log scale for the weights and lr.
SEARCH_SPACE = {
    "n_patterns": ("int", 2, 16),
    "alpha": ("log", 0.1, 10.0),
    "beta": ("log", 0.1, 10.0),
    "gamma": ("log", 1.0, 100.0),
    "learning_rate": ("log", 5e-5, 1e-3),
    "width": ("choice", 16, 32),
}
