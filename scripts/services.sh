#!/usr/bin/env bash
# Makes sure MariaDB (127.0.0.1:3306) and Redis (127.0.0.1:6379) are up: starts them when installed but
# stopped, installs them from Debian's packages when absent (needs root); makes sure Mosquitto is installed (the MQTT
# tests start private brokers of their own; nothing is started). Prints what it did.
#   scripts/services.sh            ensure all three
#   scripts/services.sh mosquitto  ensure Mosquitto is installed
#   scripts/services.sh mysql-url  print the server URL the tests should use
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 0.5; done
  echo "services: nothing answers on port $1 after 30 s" >&2
  return 1
}

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "services: $* missing; install as root: apt-get install -y $*" >&2
    exit 1
  fi
  echo "services: installing $* from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_redis() {
  port_open 6379 && return 0
  command -v redis-server >/dev/null || apt_install redis-server
  echo "services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/facegate.log
  wait_port 6379
}

ensure_mariadb() {
  port_open 3306 && return 0
  [ -x /usr/sbin/mariadbd ] || apt_install mariadb-server
  echo "services: starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  wait_port 3306
}

ensure_mosquitto() {
  [ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null || apt_install mosquitto mosquitto-clients
}

# Root over TCP with an empty password (as on the CI machines), or else a test account limited to the
# facegate_test_* databases, created over the root socket (a fresh Debian MariaDB allows root only there).
mysql_url() {
  if mysql -uroot -h127.0.0.1 -e 'SELECT 1' >/dev/null 2>&1; then
    echo "mysql+pymysql://root@127.0.0.1:3306"
    return
  fi
  mysql -uroot >/dev/null <<'SQL'
CREATE USER IF NOT EXISTS 'facegate_test'@'127.0.0.1' IDENTIFIED BY 'facegate_test';
CREATE USER IF NOT EXISTS 'facegate_test'@'localhost' IDENTIFIED BY 'facegate_test';
GRANT ALL ON `facegate\_test\_%`.* TO 'facegate_test'@'127.0.0.1';
GRANT ALL ON `facegate\_test\_%`.* TO 'facegate_test'@'localhost';
SQL
  echo "mysql+pymysql://facegate_test:facegate_test@127.0.0.1:3306"
}

case "${1:-ensure}" in
  ensure) ensure_redis; ensure_mariadb; ensure_mosquitto ;;
  redis) ensure_redis ;;
  mosquitto) ensure_mosquitto ;;
  mysql-url) mysql_url ;;
  *) echo "usage: $0 [ensure|redis|mosquitto|mysql-url]" >&2; exit 2 ;;
esac
