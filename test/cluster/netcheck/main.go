// A test image's single binary:
//
//	netcheck serve ADDR           answers every GET with "netcheck <hostname>"
//	netcheck probe NAME URL...    resolves NAME, then GETs each URL (https trusting the pod's
//	                              service-account CA); writes a JSON report to
//	                              /dev/termination-log so the result is read from the pod's status
//	netcheck connect TRIES ADDR...  opens a TCP connection to each HOST:PORT, up to TRIES times
//	                              (2 s each); reports the same way whether each ever connected
//
// Both retry within a bound, so a probe pod started before DNS or the Service's rules are in
// place still reports the real outcome.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

type fetch struct {
	URL   string `json:"url"`
	Body  string `json:"body,omitempty"`
	Error string `json:"error,omitempty"`
}

type dialed struct {
	Addr      string `json:"addr"`
	Connected bool   `json:"connected"`
	Error     string `json:"error,omitempty"`
}

type report struct {
	Name      string   `json:"name"`
	Addresses []string `json:"addresses,omitempty"`
	DNSError  string   `json:"dnsError,omitempty"`
	Fetches   []fetch  `json:"fetches"`
	Dials     []dialed `json:"dials,omitempty"`
}

const attempts = 60

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "serve" {
		serve(os.Args[2])
		return
	}
	if len(os.Args) >= 3 && os.Args[1] == "probe" {
		os.Exit(probe(os.Args[2], os.Args[3:]))
	}
	if len(os.Args) >= 4 && os.Args[1] == "connect" {
		if tries, err := strconv.Atoi(os.Args[2]); err == nil && tries > 0 {
			os.Exit(connect(tries, os.Args[3:]))
		}
	}
	fmt.Fprintln(os.Stderr, "usage: netcheck serve ADDR | netcheck probe NAME URL... | netcheck connect TRIES ADDR...")
	os.Exit(2)
}

func serve(addr string) {
	host, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "netcheck %s\n", host)
	})
	if err := http.ListenAndServe(addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func probe(name string, urls []string) int {
	r := report{Name: name, Fetches: []fetch{}}
	ok := true
	for i := 0; i < attempts; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		addrs, err := net.DefaultResolver.LookupHost(ctx, name)
		cancel()
		if err == nil {
			r.Addresses, r.DNSError = addrs, ""
			break
		}
		r.DNSError = err.Error()
		time.Sleep(time.Second)
	}
	if r.DNSError != "" {
		ok = false
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: transport()}
	for _, u := range urls {
		f := fetch{URL: u}
		for i := 0; i < attempts; i++ {
			body, err := get(client, u)
			if err == nil {
				f.Body, f.Error = body, ""
				break
			}
			f.Error = err.Error()
			time.Sleep(time.Second)
		}
		if f.Error != "" {
			ok = false
		}
		r.Fetches = append(r.Fetches, f)
	}
	out, _ := json.Marshal(r)
	_ = os.WriteFile("/dev/termination-log", out, 0o644)
	fmt.Println(string(out))
	if ok {
		return 0
	}
	return 1
}

// connect reports, per address, whether a TCP connection opened within the tries: a
// NetworkPolicy that drops the SYN shows as a timeout on every try. Exit 0 either way; the
// report says what happened.
func connect(tries int, addrs []string) int {
	r := report{Dials: []dialed{}}
	for _, a := range addrs {
		d := dialed{Addr: a}
		for i := 0; i < tries; i++ {
			conn, err := net.DialTimeout("tcp", a, 2*time.Second)
			if err == nil {
				conn.Close()
				d.Connected, d.Error = true, ""
				break
			}
			d.Error = err.Error()
			time.Sleep(time.Second)
		}
		r.Dials = append(r.Dials, d)
	}
	out, _ := json.Marshal(r)
	_ = os.WriteFile("/dev/termination-log", out, 0o644)
	fmt.Println(string(out))
	return 0
}

// The pod's service-account CA, when the kubelet mounted one, is the only one trusted for
// https URLs: reaching the API server must prove the certificate too.
const serviceAccountCA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"

func transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if pem, err := os.ReadFile(serviceAccountCA); err == nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		t.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return t
}

func get(client *http.Client, url string) (string, error) {
	res, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 4096))
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d", res.StatusCode)
	}
	return string(body), nil
}
