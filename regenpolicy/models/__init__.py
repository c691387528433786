"""The domain models and each figure's computation, as plain typed functions with typed parameters.

market (M1, M2), industry (M3), approvals (O1, D1, D2, A1, A2, A3), survival (S1), lifetime (C1),
comparisons (T1–T4), manufacturing (C2), qc (Q1), repricing (C2-RP), reimbursement (K1, K1-MC),
budget (E1), pricing (P1, P2), catalog (the data appendix); shared: params (typed parameters),
settings (edition-wide settings), parameters (``data/model_parameters.csv``), sensitivity
(tornado and scenarios), checks (printed-value checks).
"""
