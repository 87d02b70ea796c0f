"""The web app: staff, employer, family and public pages and the JSON API (thin routes over ``services``)."""
