"""Crawl policy (RELIABILITY.md C1–C4), one comment per value.

Spiders are polite by default; the demo and benchmarks lower the delays for the local sandbox only.
"""

BOT_NAME = "ohmylot"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# Identify ourselves with a contact URL (C2).
USER_AGENT = "ohmylot/0.1 (+https://github.com/ohmylot/ohmylot; offres du programme Oh my Lot !)"

# Obey robots.txt (C1); the fail-closed behaviour on 5xx is added by our own middleware.
ROBOTSTXT_OBEY = True

# One request at a time per host, at least one second apart (C2); AutoThrottle honours slow servers.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
RANDOMIZE_DOWNLOAD_DELAY = False

# Bounded (C3): a hanging or huge response cannot hang a job.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
CLOSESPIDER_TIMEOUT = 3600
CLOSESPIDER_ERRORCOUNT = 50

# Retries (C4): 5xx and 408 at most twice.
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]

# No cookies needed for public offers.
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
