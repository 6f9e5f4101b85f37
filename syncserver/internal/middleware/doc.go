// Package middleware is what every HTTP handler of the server stands
// behind, the laptops' sync API and the public register alike: recovery
// from a panic, a request log, a bound on request bodies, byte budgets
// shared by all requests, and per-key rate limits.
package middleware
