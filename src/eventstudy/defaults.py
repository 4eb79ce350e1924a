"""Defaults shared by the library and the command line, in a module with no imports, so that
``eventstudy --help`` can show them without loading pandas, scipy or the engine."""

#: Estimation window, trading days relative to day 0 (both ends inclusive).
DEFAULT_ESTIMATION = (-250, -11)
#: Event window, trading days relative to day 0 (both ends inclusive).
DEFAULT_WINDOW = (-1, 1)
#: Market series of the market-based models.
DEFAULT_MARKET = "^GSPC"
#: Names of the built-in expected-return models, in the order of ``eventstudy.models.linear.MODELS``
#: (a test keeps the two in step).
MODEL_NAMES = ("constant_mean", "market_adjusted", "market", "capm", "ff3", "carhart", "ff5",
               "scholes_williams", "dimson", "garch", "garch_t")
#: Models that take the peers' returns as the benchmark (``--peers``; :mod:`eventstudy.models.peers`).
PEER_MODEL_NAMES = ("peers", "synthetic")
#: Names of the multi-event test statistics, in the order they are reported
#: (:mod:`eventstudy.inference.multi_event`).
TEST_NAMES: tuple[str, ...] = (
    "cross_sectional_t",
    "patell",
    "bmp",
    "kolari_pynnonen_patell",
    "kolari_pynnonen_bmp",
    "cda",
    "corrado_rank",
    "corrado_zivney",
    "generalized_rank",
    "sign",
    "generalized_sign",
    "wilcoxon",
)
