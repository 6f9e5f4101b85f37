// Package api serves the sync protocol over HTTP: enrollment, sync, health
// and metrics, behind recovery, logging, size limits and rate limits.
package api
