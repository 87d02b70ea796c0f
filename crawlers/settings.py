"""Crawl policy (RELIABILITY.md C1–C4), one comment per value.

Spiders are polite by default; the demo and benchmarks lower the delays for the local sandbox only
(``-s DOWNLOAD_DELAY=0``). Every ``OHMYLOT_*`` setting here is documented in docs/crawling.md.
"""

from scrapy.settings import default_settings as _scrapy_defaults

BOT_NAME = "ohmylot"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# Identify ourselves with a contact URL (C2).
USER_AGENT = "ohmylot/0.1 (+https://github.com/ohmylot/ohmylot; offres du programme Oh my Lot !)"

# Obey robots.txt (C1); our middleware fails closed on 5xx/unreachable and honours Crawl-delay (capped).
ROBOTSTXT_OBEY = True
ROBOTSTXT_CRAWL_DELAY_MAX = 60

# One request at a time per host, at least one second apart (C2); AutoThrottle honours slow servers.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
# No random jitter: the delay is a floor, never 0.5 × DOWNLOAD_DELAY.
DOWNLOAD_DELAY_JITTER = 0

# Bounded (C3): a hanging or huge response cannot hang a job.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
CLOSESPIDER_TIMEOUT = 3600
CLOSESPIDER_ERRORCOUNT = 50
# Stop a crawl that has produced nothing for 10 minutes.
CLOSESPIDER_TIMEOUT_NO_ITEM = 600

# Retries (C4): 5xx and 408 at most twice.
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
# 429, and 503 with Retry-After: wait for the host (capped), retry at most 3 times; 5 answers 429 in a row
# close the spider with the reason "rate_limited" (crawlers/ratelimit.py).
RETRY_AFTER_MAX = 60
RETRY_AFTER_DEFAULT = 5
RETRY_AFTER_TIMES = 3
RATE_LIMIT_CLOSE_AFTER = 5

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.robots.FailClosedRobotsTxtMiddleware": 100,
    "crawlers.ratelimit.RetryAfterMiddleware": 560,
}

# normalise -> validate -> store (crawlers/pipelines.py); the store returns the offer's JSON form.
ITEM_PIPELINES = {
    "crawlers.pipelines.NormalizePipeline": 100,
    "crawlers.pipelines.ValidatePipeline": 200,
    "crawlers.pipelines.StorePipeline": 900,
}
# The crawl log as JSON lines (crawlers/jsonlogs.py); one CrawlRun row per crawl, postings lifecycle and
# health (crawlers/extensions.py); the distributed mode's
# components (crawlers/distributed.py) turn themselves off unless OHMYLOT_DISTRIBUTED is set.
EXTENSIONS = {
    "crawlers.jsonlogs.JsonCrawlLogs": 50,
    "crawlers.extensions.CrawlRunRecorder": 100,
    "crawlers.distributed.WaitForOtherWorkers": 200,
}
# Scrapy imports every extension it lists, even disabled ones: the remote control (aiohttp, ~0.2 s of start-up)
# and the telnet console, both off below, are left out of the list.
EXTENSIONS_BASE = {
    path: order
    for path, order in _scrapy_defaults.EXTENSIONS_BASE.items()
    if path.rsplit(".", 1)[-1] not in ("RemoteControl", "TelnetConsole")
}
SPIDER_MIDDLEWARES = {
    "crawlers.distributed.FilterableStartRequests": 50,
}

# Store postings in the configured database (OHMYLOT_DATABASE_URL); False only normalises.
OHMYLOT_STORE_ENABLED = True
# Postings normalised together (the ROME classifier scores a batch in one product; crawlers/pipelines.py).
OHMYLOT_NORMALIZE_BATCH = 500
# Postings per database write, and the longest wait between two writes (progress display).
OHMYLOT_STORE_BATCH = 500
OHMYLOT_STORE_FLUSH_SECONDS = 2.0
# A posting is closed after this many consecutive *successful* runs that did not list it (C5).
OHMYLOT_CLOSE_AFTER_MISSES = 2
# Health alert when a run yields less than this share of the median of the last N good runs (C7).
OHMYLOT_HEALTH_MIN_RATIO = 0.5
OHMYLOT_HEALTH_HISTORY = 5

# No cookies needed for public offers.
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# No listening port of any kind during a crawl (Scrapy ≥ 2.19 remote control).
REMOTE_CONTROL_ENABLED = False

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
