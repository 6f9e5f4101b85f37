// Package api serves the sync protocol to laptops over HTTP: enrollment,
// sync and health, with its own rate limits and byte budgets, behind the
// server's middleware (recovery, request log, body limits). Its metrics
// are served apart, on the metrics listener.
package api
