"""Reading accounts from files: ``convert`` (API-shaped dicts -> model), ``offline``
(``--from-file``) and ``export`` (model -> the same files).

Which source to read, and how, is :mod:`remediations.source` (typed values, no argparse).
"""
