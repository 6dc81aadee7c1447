FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home app && chown -R app /app
USER app
EXPOSE 3000
CMD ["gunicorn", "eventstream.wsgi:application", "-c", "eventstream/gunicorn_conf.py", "--bind", "0.0.0.0:3000"]
