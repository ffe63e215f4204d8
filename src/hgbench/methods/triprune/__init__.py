"""TriPrune-HGNN (paper 000, ../shared/triprune/SPEC.md): one module per mechanism.

* :mod:`.structure` — the K components (contexts) of a master hypergraph as membership lists;
* :mod:`.retention` — retention weight and the overlap identities (SPEC §2.8);
* :mod:`.neighbours` — neighbour similarity in the pruned graph (§2.6);
* :mod:`.meta` — meta-learned loss weights: simplex projection, finite-difference and exact
  meta-gradients (§2.14);
* :mod:`.contrastive`, :mod:`.mining` — context embeddings, the contrastive loss, false- and
  hard-negative mining (§2.10-2.13).
"""
