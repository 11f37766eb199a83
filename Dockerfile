# One image for every aftercart process; the command names the role (docker-compose.yml):
#   docker build -t aftercart . && docker run --rm aftercart worker email
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The compiled dependencies ship manylinux wheels (the rest are pure Python): no compiler needed.
COPY . /src
RUN pip install /src

# Not root; the home directory is the working directory, where AFTERCART_DATA_DIR (.aftercart)
# lands.
RUN useradd --system --create-home --home-dir /var/lib/aftercart --shell /usr/sbin/nologin aftercart
USER aftercart
WORKDIR /var/lib/aftercart

# The gateway and the sandbox (AFTERCART_GATEWAY_PORT, AFTERCART_SANDBOX_PORT).
EXPOSE 8080 8787
ENTRYPOINT ["aftercart"]
CMD ["--help"]
