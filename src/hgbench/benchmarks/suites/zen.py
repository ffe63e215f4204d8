"""The ZEN paper's suites (Tables 3-6, 9-13) and the demo suite: declarations only."""

from __future__ import annotations

from .base import PaperTable, Suite, register_suite

ZEN_DATASETS = ("cora", "citeseer", "pubmed", "cora-ca", "20news", "modelnet40",
                "congress", "walmart", "senate", "house")

TABLE3_BASELINES = ("hgnn", "hnhn", "hcha", "unigcn", "unigcnii", "alldeepsets", "allsettransformer", "edhnn")
TABLE3_METHODS = TABLE3_BASELINES + ("zen",)
ZEN_ABLATIONS = ("linearized-hgnn", "zen-no-tcs-no-rap", "zen-no-tcs", "zen-no-rap", "zen")

register_suite(Suite(
    name="demo",
    description="ZEN and its ablations on three synthetic hypergraphs (no download; about a minute)",
    methods=ZEN_ABLATIONS,
    reference="zen",
    datasets=("synthetic", "synthetic-heterophilic", "synthetic-contexts"),
))
register_suite(Suite(
    name="zen-5shot",
    description="ZEN paper Table 3: 5-shot node classification accuracy on the 10 benchmark hypergraphs",
    methods=TABLE3_METHODS,
    reference="zen",
    datasets=ZEN_DATASETS,
    table=PaperTable("zen_table3_5shot_accuracy.csv", "5-shot node classification accuracy (%) (ZEN paper, Table 3)",
                     "shots=5"),
    notes=("", "## Reading the baseline rows", "",
           "Cells with one split (n_runs = 1) only show that the baseline runs there; their std is 0 and their "
           "verdicts are weak. A cell's budget is the largest one its splits ran under (provenance.md lists them): "
           "the reduced grid drops lr 1e-4 and hidden 128/256, which changes which configuration validation "
           "selects, in either direction on test.",
           "",
           "House under the full grid: HGNN, HCHA, HNHN, UniGCN and UniGCNII on all 10 splits; ED-HNN on splits 0 "
           "and 1 only (40 s per run and 12 min per split here, so about 2 h for 10 splits on one core), its other 8 "
           "splits reduced, so its cell mixes the two budgets; AllDeepSets and AllSetTransformer reduced.",
           "",
           "Gaps and the evidence for them (reference run; the probes' rows are in zen-probes/notes.md, on the "
           "same splits):",
           "",
           "* Ties on saturated validation sets. With 5 validation nodes per class, the 2-class datasets "
           "(Congress, Senate, House) reach 100% validation accuracy within a few epochs (\"Saturated validation\" "
           "above), and our first-maximum rule then reports an early, under-trained epoch. HGNN on Congress is the "
           "clearest case: with the last tied epoch kept instead (probe hgnn-last-tie) it lands on the paper's "
           "number, so the paper's selection must have kept training. ZEN does not state its tie rule; ours stays "
           "the first maximum (methods/trainer.py), and the probes show what the other rule gives.",
           "* UniGCN below the paper on Senate and Congress (and lower than it on House). UniGCN is not in ED-HNN's codebase and ours "
           "follows UniGNN's own dropouts (0.6 / 0.6). With ED-HNN's dropouts (probe unigcn-edhnn-dropout) it moves "
           "within two paper std on Senate and House; on Congress the last-tied-epoch probe recovers most of the "
           "gap. Which UniGCN ZEN ran is not stated.",
           "* HNHN above the paper on 20News, Congress and Walmart, where the paper's HNHN row is far below every "
           "other model. Ours follows HNHN's official normalisation; ED-HNN's degree-sum variant (probe "
           "hnhn-edhnn-norm) falls to the paper's weak row on 20News and Congress, so that variant is the likely "
           "source of the paper's row. On Walmart (one split) it falls further, to 7.1 against the paper's "
           "15.9 +- 3.0: the variant gives the direction of the paper's Walmart number there, not its value.",
           "* AllDeepSets above the paper on Congress (one split; on 20News it is just within two paper std). Our "
           "set-function models use 1-layer MLPs (docs/baselines.md, \"Training at 5 shots\"); with ED-HNN's "
           "default 2/2 depths (probe alldeepsets-mlp2) AllDeepSets lands on the paper's 20News number but collapses "
           "on Cora_CA, so neither depth reproduces the paper's row everywhere. On Congress both depths give 88.4-88.5 "
           "on split 0, where ZEN scores 88.9 and the paper's own AllSetTransformer and ED-HNN rows are 88.2 and "
           "89.1: the paper's 69.5 +- 4.7 is 19 points below every other set-function model of its table, and no "
           "setting we tried reproduces it.",
           "* AllSetTransformer and ED-HNN on Cora_CA: under the reduced grid (hidden 64 only, no lr 1e-4) both "
           "were more than two paper std below the paper on the same 3 splits (52.2 and 50.5 against 59.6 +- 3.4 "
           "and 58.8 +- 3.8). Under the full grid, validation selects hidden 128 or 256 on 5 of the 6 splits (and "
           "lr 1e-4 once), and both land within two paper std: the reduced grid was the cause. ZEN itself scores "
           "57.5 on these 3 splits against the paper's 60.0, so our splits are somewhat harder than the paper's. "
           "ED-HNN's default depths (probe edhnn-mlp2) make it worse.",
           "* HCHA above the paper on Walmart: one split under the reduced budget; not explained.",
           "* AllSetTransformer below the paper on Congress: one split, selected from its two 1-layer configurations "
           "only (about 430 s each here); both 2-layer ones ran out of time (600 s, and 150 s for one that was not "
           "retried), so the cell is not the reduced protocol's result and says nothing about the paper's number. "
           "ED-HNN on Congress and the set-function models on Walmart are T.O. for the same cost.",
           "",
           "UniGCN, UniGCNII and the AllSet family cost 2-4x HGNN per run on Cora and Citeseer: their input "
           "dropout draws a random number per entry of the dense feature matrix every step (docs/baselines.md)."),
))
register_suite(Suite(
    name="zen-probes",
    description="Probes of Table 3 gaps: baseline variants with the ED-HNN codebase's settings "
                "(baselines/probes.py) on zen-5shot's splits",
    methods=("unigcn-edhnn-dropout", "hnhn-edhnn-norm", "alldeepsets-mlp2", "edhnn-mlp2", "hgnn-last-tie",
             "unigcn-last-tie"),
    datasets=ZEN_DATASETS,
    table=PaperTable("zen_table3_5shot_accuracy.csv",
                     "Probes of Table 3 gaps, 5-shot accuracy (%); paper rows of the varied baselines (ZEN paper, Table 3)",
                     "shots=5"),
    notes=("", "## Reading the probes", "",
           "Each probe is compared with the paper row of the baseline it varies; the baseline itself is in "
           "zen-5shot, on the same splits (the split store is shared). A probe that lands on the paper's number "
           "where the baseline does not supports its explanation of the gap; one that does not, weakens it. "
           "UniGCN (ED-HNN dropouts) tests whether ZEN ran UniGCN with the ED-HNN training script's dropouts; "
           "HNHN (ED-HNN norm) whether the paper's weak HNHN row comes from ED-HNN's degree-sum normalisation; "
           "the MLP depth 2/2 probes whether ZEN ran AllDeepSets and ED-HNN with ED-HNN's default depths "
           "(docs/baselines.md, \"Training at 5 shots\"); the last-tied-epoch probes whether the paper kept "
           "training past the first epoch at 100% validation accuracy on the 2-class datasets."),
))
register_suite(Suite(
    name="zen-ablation",
    description="ZEN paper Table 6: ablations of TCS and RAP, and the linearized HGNN",
    methods=ZEN_ABLATIONS,
    reference="zen",
    datasets=ZEN_DATASETS,
    table=PaperTable("zen_table6_ablation.csv", "Ablation of ZEN, 5-shot accuracy (%) (ZEN paper, Table 6)",
                     "shots=5"),
    notes=("", "## Reading the ablation rows", "",
           "The paper does not say how W is obtained without TCS or for its linearized HGNN. We use the exact "
           "minimum-norm least-squares W of Eq. (3) on row-normalised embeddings (docs/zen.md). Rows that use "
           "it (No TCS, No TCS No RAP, Linearized HGNN) are stronger than the paper's printed numbers on most "
           "datasets, so their gaps say that the paper's no-TCS solver differs from Eq. (3) as we read it, not "
           "that TCS fails to reproduce; ZEN and No RAP use the specified Eq. (4)."),
))
MORE_SHOTS_NOTES = (
    "", "## Reading the baseline rows", "",
    "Every baseline ran under the reduced grid here; `runs` gives the splits behind each mean: 10 on Senate and "
    "House, 3 on Cora, Cora_CA and Congress, 2 on 20News, 1 on Citeseer and Walmart. Cells with one split only show "
    "that the baseline runs there. AllDeepSets, AllSetTransformer and ED-HNN were not run on Congress and Walmart: "
    "at 5 shots one of their configurations takes 140 s to over 600 s on Congress and over 40 s on Walmart on this "
    "machine (zen-5shot notes), so those cells stay pending.",
    "",
    "The gaps to the paper mostly go the way of Table 3's, whose causes the zen-probes suite tests at 5 shots "
    "(the probes were not rerun at 10 and 20 shots): UniGCN below the paper on Senate, House and Congress "
    "(UniGNN's dropouts; ED-HNN's move it within two paper std on Senate and House at 5 shots), HNHN above the "
    "paper's weak row (ED-HNN's degree-sum normalisation gives that row at 5 shots), AllDeepSets above it on "
    "20News (ED-HNN's MLP depths land on the paper's 20News number at 5 shots), HGNN and HCHA below it on "
    "Congress (at 5 shots, the tie rule on saturated validation sets; fewer of them saturate at 10 and 20 "
    "shots, \"Saturated validation\" above).",
    "",
    "Citeseer and Walmart cells have one split. At 10 shots on Citeseer most baselines are far below the paper "
    "(HGNN 34.3 against 49.3 +- 3.1) while ZEN's 10 splits match it; on that split HGNN, HCHA and UniGCN reach "
    "100% training accuracy within a few epochs while validation accuracy stays at 33-38% at every checkpoint. "
    "At 20 shots the same split puts HGNN and HCHA within two paper std. One split cannot tell a hard split "
    "from a protocol difference; not explained.",
)
for shots, number in ((10, 9), (20, 10)):
    register_suite(Suite(
        name=f"zen-{shots}shot",
        description=f"ZEN paper Table {number}: {shots}-shot node classification accuracy",
        methods=TABLE3_METHODS,
        reference="zen",
        datasets=ZEN_DATASETS,
        protocol=f"{shots}-shot",
        table=PaperTable(f"zen_table{number}_{shots}shot.csv",
                         f"{shots}-shot node classification accuracy (%) (ZEN paper, Table {number})", f"shots={shots}"),
        notes=MORE_SHOTS_NOTES,
    ))

TABLE11_BASELINES = ("sgc", "appnp", "ssgc", "lin-unigcnii", "lin-alldeepsets", "lin-edhnn", "legcn", "hypernd")
register_suite(Suite(
    name="zen-extra",
    description="ZEN paper Table 11: linear GNNs on the clique expansion, linearized HNNs, LEGCN and HyperND (5-shot)",
    methods=TABLE11_BASELINES + ("zen",),
    reference="zen",
    datasets=ZEN_DATASETS,
    table=PaperTable("zen_table11_extra_baselines.csv",
                     "5-shot accuracy (%) of eight additional baselines (ZEN paper, Table 11)", "shots=5"),
    notes=("", "## Reading the Table 11 rows", "",
           "LEGCN materialises the exact line expansion, as both official codes do; a guard estimates its memory "
           "before allocating and records O.O.M above HGBENCH_MEMORY_CAP_GB (default 16). The expansion is largest "
           "on Congress (7.1e8 entries, about 24 GiB), not Walmart (7.6e7), so ours is O.O.M on Congress and runs on "
           "Walmart, the reverse of the paper's O.O.M; a dense node x hyperedge matrix would match the paper's pattern.",
           "",
           "The paper prints 37.59 +- 5.2 for LEGCN on both Cora and Cora_CA (possibly a copy error), and cites "
           "[22] (higher-order label spreading, WWW 2021) for HyperND; we implement HyperND of Prokopchik, Benson "
           "and Tudisco (ICML 2022) and its official code. Settings per model: docs/baselines.md."),
))

NWAY_METHODS = ("hgnn", "unigcnii", "alldeepsets", "zen")
for shots in (1, 3):
    register_suite(Suite(
        name=f"zen-nway-{shots}shot",
        description=f"ZEN paper Table 12: 2-way {shots}-shot episodes on Cora and Citeseer (datasets/episodes.py)",
        methods=NWAY_METHODS,
        reference="zen",
        datasets=("cora", "citeseer"),
        protocol=f"2-way-{shots}-shot",
        table=PaperTable("zen_table12_nway_kshot.csv",
                         f"2-way {shots}-shot episode accuracy (%) (ZEN paper, Table 12)",
                         f"n-way k-shot: 2-way {shots}-shot"),
        notes=("", "## Episodes", "",
               "One split seed is one episode: 2 classes drawn among all classes, k support and k validation "
               "nodes per class, every other node of the two classes is the query set; std is over episodes. "
               "The paper does not define its episodes (Appendix F.3); ours are documented in "
               "src/hgbench/datasets/episodes.py and docs/datasets.md.",
               "",
               "The paper's std (0.1-0.2 points over 10 runs) cannot be a spread over random episodes: in the "
               "reference run, ZEN's accuracy on single 2-way 1-shot Cora episodes ranges from 30% to 74%, and every "
               "method's std over our episodes is several points. A std that small fits repeated training on one "
               "fixed episode, which the paper does not describe. So the within-2-std column is not informative here; "
               "the tolerance verdict (max(paper std, 2 points)) and the means are what to compare. The baselines "
               "use the reduced grid (the paper says they use ED-HNN's configurations); UniGCNII and AllDeepSets ran "
               "on 10 Cora episodes and 3 Citeseer episodes in the reference run, HGNN and ZEN on 10."),
    ))
register_suite(Suite(
    name="zen-nway",
    description="ZEN paper Table 12: the 2-way 1-shot and 3-shot episode suites",
    methods=(), datasets=(),
    includes=("zen-nway-1shot", "zen-nway-3shot"),
))

register_suite(Suite(
    name="zen-zoo",
    description="ZEN paper Table 5: ZEN's class-by-feature weights W* on Zoo, 3-shot",
    methods=("zen-weights",),
    datasets=("zoo",),
    protocol="3-shot",
    kind="weights",
    table=PaperTable("zen_table5_zoo_weights.csv",
                     "Relative feature importance W* learned by ZEN on Zoo, 3-shot (ZEN paper, Table 5)", "shots=3",
                     metric="relative feature importance (W* entry)"),
))

register_suite(Suite(
    name="zen-runtime",
    description="ZEN paper Tables 4 and 13: training + inference seconds and the ratio over ZEN's time, "
                "from the sequential zen-5shot records",
    methods=TABLE3_METHODS,
    datasets=ZEN_DATASETS,
    kind="runtime",
    records_from="zen-5shot",
    table=PaperTable("zen_table13_runtime_seconds.csv",
                     "Training + inference time (s) and ratio over ZEN (ZEN paper, Tables 13 and 4)", "shots=5",
                     metric="running time (training+inference)"),
))

ZEN_SUITES = ("zen-5shot", "zen-probes", "zen-ablation", "zen-10shot", "zen-20shot", "zen-extra", "zen-nway-1shot",
              "zen-nway-3shot", "zen-zoo", "zen-runtime")

#: Cross-suite plots drawn by the report: one accuracy suite per number of shots, and an accuracy
#: suite with the run-time view of the same runs.
SHOT_SERIES = ("zen-5shot", "zen-10shot", "zen-20shot")
ACCURACY_AND_TIME = ("zen-5shot", "zen-runtime")
