package redis_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/redistest"
	"github.com/jwtd/jwtd/sdk"
)

// pki is a throwaway CA with a server and a client certificate, as PEM files.
type pki struct {
	caFile, serverCert, serverKey, clientCert, clientKey string
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "jwtd test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	p := pki{caFile: filepath.Join(dir, "ca.pem")}
	writePEM(t, p.caFile, "CERTIFICATE", caDER)

	issue := func(name string, serial int64, usage x509.ExtKeyUsage) (certFile, keyFile string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: name},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			DNSNames:     []string{name},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
		writePEM(t, certFile, "CERTIFICATE", der)
		writePEM(t, keyFile, "PRIVATE KEY", keyDER)
		return certFile, keyFile
	}
	// The server certificate names redis.test only, not 127.0.0.1: clients
	// must say which name they expect (tls_server_name).
	p.serverCert, p.serverKey = issue("redis.test", 2, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = issue("jwtd.test", 3, x509.ExtKeyUsageClientAuth)
	return p
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startTLS starts a redis-server with a TLS port beside its plain one and
// returns the TLS address.
func startTLS(t *testing.T, p pki, authClients string) string {
	t.Helper()
	port := redistest.FreePort(t)
	redistest.Start(t,
		"--tls-port", strconv.Itoa(port),
		"--tls-cert-file", p.serverCert,
		"--tls-key-file", p.serverKey,
		"--tls-ca-cert-file", p.caFile,
		"--tls-auth-clients", authClients,
	)
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

func TestTLS(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	open := startTLS(t, p, "no")
	mutual := startTLS(t, p, "yes")

	cases := []struct {
		name   string
		addr   string
		kv     []any
		wantOK bool
	}{
		{"private CA and server name", open, []any{"tls_ca_file", p.caFile, "tls_server_name", "redis.test"}, true},
		{"system roots refuse a private CA", open, []any{"tls", true, "tls_server_name", "redis.test"}, false},
		{"wrong server name", open, []any{"tls_ca_file", p.caFile, "tls_server_name", "other.test"}, false},
		{"address name not in certificate", open, []any{"tls_ca_file", p.caFile}, false},
		{"unsafe skip verify", open, []any{"unsafe_tls_insecure_skip_verify", true}, true},
		{"plain TCP to a TLS port", open, nil, false},
		{"client certificate", mutual, []any{"tls_ca_file", p.caFile, "tls_server_name", "redis.test", "tls_cert_file", p.clientCert, "tls_key_file", p.clientKey}, true},
		{"no client certificate", mutual, []any{"tls_ca_file", p.caFile, "tls_server_name", "redis.test"}, false},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tg := target{addrs: []string{tc.addr}}
			kv := append([]any{"dial_timeout", "1s", "read_timeout", "1s"}, tc.kv...)
			s := tg.open(t, kv...)
			added, err := s.Blacklist(ctx, record(t, "1", time.Hour))
			if tc.wantOK {
				if err != nil || !added {
					t.Fatalf("Blacklist over TLS = %v, %v", added, err)
				}
				return
			}
			if added || !errors.Is(err, sdk.ErrUnavailable) {
				t.Fatalf("Blacklist = %v, %v; want false and ErrUnavailable", added, err)
			}
		})
	}
}
