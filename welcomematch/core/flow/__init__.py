"""The exact min-cost-flow solver of the ``optimal`` mechanism, one concern per module.

From the bottom up: :mod:`~welcomematch.core.flow.tuning` (array types, speed settings,
figures), :mod:`~welcomematch.core.flow.costs` (ranks and integer costs),
:mod:`~welcomematch.core.flow.cardinality` (maximum assignments, König's certificate),
:mod:`~welcomematch.core.flow.network` (the network, one flow, potentials),
:mod:`~welcomematch.core.flow.repair` (keeping a flow optimal when arcs are added),
:mod:`~welcomematch.core.flow.certify` (pruned networks proved optimal by reduced costs) and
:mod:`~welcomematch.core.flow.plan` (components and networks of a part, solved through an
executor). The mechanism itself — parts, lottery, treatment coins — is
:mod:`welcomematch.core.optimal`.
"""

__all__: list[str] = []
