# Partner Desk in a container (production mode: set MicrosoftAppId and the other settings at run time).
# Workers: WEB_CONCURRENCY (gunicorn's default for --workers). Keep 1 on SQLite (a second worker refuses to start;
# mount /app/data on a local volume); with DATABASE_URL=postgresql://... raise it (README: "Several instances").
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY app.py ./
COPY bot bot
COPY cards cards
COPY desk desk
COPY dialogs dialogs
COPY msapi msapi
ENV PORT=3978 HOST=0.0.0.0 DATA_DIR=/app/data WEB_CONCURRENCY=1
# Not root: the process owns its data folder and nothing else.
RUN useradd --system --uid 10001 --no-create-home desk && mkdir -p /app/data && chown desk /app/data
USER desk
VOLUME /app/data
EXPOSE 3978
CMD ["sh", "-c", "exec gunicorn 'app:make_app()' --worker-class aiohttp.GunicornWebWorker --bind 0.0.0.0:${PORT} --graceful-timeout 30"]
