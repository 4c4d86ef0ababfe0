"""gunicorn's settings for the portal, read by gunicorn from the folder it starts in (`make run` and the
README's command). The access log writes the route a request matched, never its path: a path can carry a
secret (the private calendar address's token), and a log is read by more people than the database."""
accesslog = "-"
access_log_format = '%(t)s "%(m)s %({portal.route}e)s" %(s)s %(b)s %(L)ss'
