package grid

import (
	"regexp"
	"strings"
)

// LiveKit's ports on the VM (LiveKit config-sample.yaml: port, rtc.tcp_port,
// rtc.port_range_start/end; turn.udp_port).
const (
	LiveKitSignalPort = 7880 // HTTP/WebSocket signalling and the server API; the gateway's backend
	LiveKitTCPPort    = 7881 // WebRTC over TCP when UDP is blocked
	LiveKitUDPFrom    = 50000
	LiveKitUDPTo      = 60000
	LiveKitTURNPort   = 3478 // embedded TURN over UDP
)

// LiveKitService is the systemd unit LiveKitSetup leaves running.
const LiveKitService = "livekit.service"

// LiveKitConfigFile is where LiveKitSetup writes livekit-server's config
// (mode 600: it holds the API secret).
const LiveKitConfigFile = "/etc/livekit/livekit.yaml"

var (
	liveKitKeyPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{3,64}$`)
	liveKitSecretPattern = regexp.MustCompile(`^[A-Za-z0-9]{32,128}$`)
)

// LiveKitPorts are the ports LiveKitSetup's server listens on.
func LiveKitPorts() []Port {
	return []Port{
		{Proto: "tcp", From: LiveKitSignalPort, To: LiveKitSignalPort, Label: "signalling (behind the gateway)"},
		{Proto: "tcp", From: LiveKitTCPPort, To: LiveKitTCPPort, Label: "WebRTC over TCP"},
		{Proto: "udp", From: LiveKitTURNPort, To: LiveKitTURNPort, Label: "TURN over UDP"},
		{Proto: "udp", From: LiveKitUDPFrom, To: LiveKitUDPTo, Label: "WebRTC media (UDP)"},
	}
}

// LiveKitSetup returns the setup that installs and starts livekit-server
// on the Ubuntu full VM of LiveKitFlist, the way LiveKit documents it for
// a plain Linux host:
//
//   - the binary from LiveKit's install script, `curl -sSL
//     https://get.livekit.io | bash` (docs.livekit.io, Self-hosting ›
//     Running locally, "Install LiveKit Server", Linux), which puts
//     livekit-server in /usr/local/bin;
//   - a config after LiveKit's config-sample.yaml (github.com/livekit/livekit):
//     `port: 7880` (signalling and API; "for production setups, this port
//     should be placed behind a load balancer with TLS", here the TFGrid
//     gateway named domain: clients connect to wss://<domain>),
//     `rtc.tcp_port: 7881` ("cannot be behind load balancer or TLS, and
//     must be exposed on the node": the VM's public IPv4),
//     `rtc.port_range_start/end: 50000-60000` (UDP media) and
//     `rtc.use_external_ip: true` (the advertised candidate is the public
//     IPv4), the API key pair under `keys`, and `bind_addresses: [""]`
//     (every interface: the gateway reaches 7880 over the public IPv4 or
//     Mycelium; livekit-server binds to loopback only in --dev mode,
//     cmd/server/main.go);
//   - the embedded TURN server over UDP on 3478 (`turn.udp_port`), which
//     LiveKit advertises as turn:<node ip>:3478 (pkg/service/roommanager.go
//     iceServersForParticipant) and starts with a UDP port alone
//     (pkg/service/turn.go NewTurnServer refuses only "invalid TURN
//     ports" when both the UDP and TLS ports are 0). TURN/TLS stays off
//     (`tls_port: 0`): LiveKit advertises it as turns:<turn.domain>:443
//     and terminates it with a certificate for that domain, but domain
//     resolves to the gateway node, which takes only HTTP(S) for the VM,
//     so no certificate for it can live on the VM;
//   - a systemd unit, livekit.service, enabled and started; the script
//     waits until the server answers on 7880 and fails otherwise.
//
// The script is idempotent by itself too (it overwrites what it writes).
// apiKey is 3-64 of [A-Za-z0-9_-], apiSecret 32-128 letters or digits
// (livekit-server logs "secret is too short, should be at least 32
// characters" below that: pkg/config/config.go ValidateKeys), domain the
// gateway's FQDN; with a bad argument the returned Setup fails Validate
// naming the argument (never its value).
func LiveKitSetup(apiKey, apiSecret, domain string) *Setup {
	s := &Setup{Name: "livekit", Service: LiveKitService, Ports: LiveKitPorts()}
	switch {
	case !liveKitKeyPattern.MatchString(apiKey):
		s.Invalid = "api_key: a LiveKit API key is 3 to 64 of letters, digits, '-' and '_'"
		return s
	case !liveKitSecretPattern.MatchString(apiSecret):
		s.Invalid = "api_secret: a LiveKit API secret is 32 to 128 letters or digits"
		return s
	case !fqdnPattern.MatchString(domain) || len(domain) > 253:
		s.Invalid = "domain: the LiveKit domain must be the gateway's domain name"
		return s
	}
	domain = strings.ToLower(domain)
	s.Script = strings.NewReplacer(
		"@API_KEY@", apiKey,
		"@API_SECRET@", apiSecret,
		"@DOMAIN@", domain,
		"@CONFIG@", LiveKitConfigFile,
	).Replace(liveKitScript)
	return s
}

// liveKitScript runs with bash -e as root on Ubuntu 24.04; pipefail makes
// a failed download fail the setup instead of piping nothing to bash.
const liveKitScript = `set -o pipefail
export DEBIAN_FRONTEND=noninteractive
# LiveKit's documented Linux install: curl -sSL https://get.livekit.io | bash
if ! command -v curl >/dev/null 2>&1; then
  apt-get update -q
  apt-get install -y -q curl ca-certificates
fi
if ! command -v livekit-server >/dev/null 2>&1; then
  curl -sSL https://get.livekit.io | bash
fi
LK=$(command -v livekit-server)

install -d -m 700 /etc/livekit
cat > @CONFIG@.new <<'LIVEKIT_YAML'
# Written by fiatdashboard's LiveKit setup. Clients connect to wss://@DOMAIN@
# (the TFGrid gateway, which terminates TLS and proxies to port 7880).
port: 7880
bind_addresses:
  - ""
rtc:
  tcp_port: 7881
  port_range_start: 50000
  port_range_end: 60000
  use_external_ip: true
turn:
  enabled: true
  domain: "@DOMAIN@"
  udp_port: 3478
  tls_port: 0
keys:
  "@API_KEY@": "@API_SECRET@"
logging:
  level: info
LIVEKIT_YAML
chmod 600 @CONFIG@.new
mv @CONFIG@.new @CONFIG@
printf 'wss://%s\n' '@DOMAIN@' > /etc/livekit/url

cat > /etc/systemd/system/livekit.service <<UNIT
[Unit]
Description=LiveKit server
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=$LK --config @CONFIG@
Restart=always
RestartSec=3
LimitNOFILE=500000

[Install]
WantedBy=multi-user.target
UNIT

# Open the ports when a firewall is on (Ubuntu's ufw is off by default).
if command -v ufw >/dev/null 2>&1 && ufw status | grep -q 'Status: active'; then
  ufw allow 7880/tcp
  ufw allow 7881/tcp
  ufw allow 3478/udp
  ufw allow 50000:60000/udp
fi

systemctl daemon-reload
systemctl enable livekit.service
systemctl restart livekit.service
for i in $(seq 1 60); do
  if curl -fsS -o /dev/null http://127.0.0.1:7880/; then
    exit 0
  fi
  sleep 2
done
echo "livekit-server did not answer on 7880" >&2
exit 1
`
