# The product as one image; each Procfile process type is a command of it (docker-compose.yml runs them all):
#   web:       gunicorn wsgi:app …            (the default)
#   worker:    flask --app wsgi worker
#   scheduler: flask --app wsgi scheduler
#   release:   flask --app wsgi db upgrade   (before the others start)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_ENV=production PORT=5000
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# Compiled once here: the app would otherwise compile its catalogs at start, into a folder it may not write.
RUN python -c "from saas.i18n import compile_catalogs, CATALOGS; compile_catalogs(CATALOGS)" \
    && useradd --create-home --uid 10001 app && mkdir -p instance && chown -R app:app instance
USER app
EXPOSE 5000
CMD ["sh", "-c", "gunicorn wsgi:app --bind 0.0.0.0:${PORT:-5000} --workers ${WEB_CONCURRENCY:-2} --threads ${WEB_THREADS:-32} --timeout 30"]
