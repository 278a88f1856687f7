// The peer's producer for the Forward benchmark: fluent-logger-golang 1.9.0, as Docker's fluentd log driver uses it,
// posting the same record as ForwardBench's BenchRecord.cs the same number of times, with RequestAck and
// SubSecondPrecision (EventTime). Prints one JSON line like ForwardBench's producer.
//
//	peer <host:port> <records> <sync|async>
//
// Built without modules or network, against Debian's golang-github-fluent-fluent-logger-golang-dev:
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o peer .
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
	"github.com/tinylib/msgp/msgp"
)

const tag = "bench.https-terminator"

// The same fields and values as BenchRecord.cs; Go's map order differs, the bytes' length does not.
var record = map[string]interface{}{
	"level":      "Information",
	"message":    "Request finished GET /api/orders/12345 - 200 in 4.2311 ms",
	"template":   "Request finished {Method} {Path} - {StatusCode} in {Elapsed} ms",
	"component":  "https-terminator",
	"Method":     "GET",
	"Path":       "/api/orders/12345",
	"StatusCode": 200,
	"Elapsed":    4.2311,
	"RequestId":  "0HN7Q2J3K4L5M:00000001",
}

func main() {
	if len(os.Args) != 4 || (os.Args[3] != "sync" && os.Args[3] != "async") {
		fmt.Fprintln(os.Stderr, "usage: peer <host:port> <records> <sync|async>")
		os.Exit(2)
	}
	host, portText, err := net.SplitHostPort(os.Args[1])
	fail(err)
	port, err := strconv.Atoi(portText)
	fail(err)
	records, err := strconv.Atoi(os.Args[2])
	fail(err)
	async := os.Args[3] == "async"

	config := fluent.Config{
		FluentHost:         host,
		FluentPort:         port,
		RequestAck:         true,
		SubSecondPrecision: true,
		Async:              async,
	}
	if async {
		// Docker's fluentd driver sets a buffer of 1Mi messages (fluentd-buffer-limit); Post fails rather than
		// waits when it is full, so the loop below waits and counts how often.
		config.BufferLimit = 1024 * 1024
	}
	logger, err := fluent.New(config)
	fail(err)

	full := 0
	start := time.Now()
	for i := 0; i < records; i++ {
		for {
			err := logger.Post(tag, record)
			if err == nil {
				break
			}
			if async && strings.Contains(err.Error(), "Buffer full") {
				full++
				time.Sleep(100 * time.Microsecond)
				continue
			}
			fail(err)
		}
	}
	posted := time.Since(start)
	// Close sends what is buffered (ForceStopAsyncSend is off) and, with RequestAck, waits for each ack.
	fail(logger.Close())
	delivered := time.Since(start)

	recordBytes, err := msgp.AppendMapStrIntf(nil, record)
	fail(err)
	mode := "sync"
	if async {
		mode = "async"
	}
	out, err := json.Marshal(map[string]interface{}{
		"client":            "fluent-logger-golang " + mode,
		"records":           records,
		"record_bytes":      len(recordBytes),
		"post_seconds":      posted.Seconds(),
		"delivered_seconds": delivered.Seconds(),
		"buffer_full_waits": full,
	})
	fail(err)
	fmt.Println(string(out))
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
