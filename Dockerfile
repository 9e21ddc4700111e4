FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config default-libmysqlclient-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
ENV DJANGO_SETTINGS_MODULE=reanimator.settings PYTHONUNBUFFERED=1
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input
RUN useradd --system --home /app reanimator && mkdir -p /app/var && chown -R reanimator /app/var
USER reanimator
EXPOSE 8000
CMD ["gunicorn", "reanimator.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
