"""The IAM building blocks both policy engines use.

- :mod:`remediations.iam.wildcard`: ``*``/``?`` matching without backtracking.
- :mod:`remediations.iam.conditions`: operators, policy variables, value comparison, clauses.
- :mod:`remediations.iam.statements`: statement parsing and the compiled :class:`Statement`.

The trust evaluator (:mod:`remediations.iam.evaluator`) and the identity/session policy analysis
(:mod:`remediations.iam.permissions`) compile documents with these, so a statement means the same
thing to both.
"""
