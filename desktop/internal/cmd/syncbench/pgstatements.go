package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
)

// pgStatements reads PostgreSQL's pg_stat_statements in a server's
// database (-pg-statements): what the server processes asked of
// PostgreSQL, statement by statement, so that a sync's round trips and
// the database's share of its CPU can be counted (BENCHMARKS.md, pg3).
type pgStatements struct {
	conn *pgx.Conn
}

// startPGStatements connects to the database at url as the cluster's
// superuser, makes the extension there and forgets what was counted so
// far (the enrollments).
func startPGStatements(ctx context.Context, url string) (*pgStatements, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("-pg-statements: %w", err)
	}
	for _, q := range []string{`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`, `SELECT pg_stat_statements_reset()`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("-pg-statements: %s: %w", q, err)
		}
	}
	return &pgStatements{conn: conn}, nil
}

// report logs the statements run since start in this database, most
// called first, each with its calls, rows and execution time per sync
// (syncs: the timed syncs), then their sums; the statements of this
// connection itself are left out.
func (p *pgStatements) report(ctx context.Context, syncs int) error {
	defer p.conn.Close(ctx)
	rows, err := p.conn.Query(ctx, `SELECT calls, rows, total_exec_time, query FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND query NOT LIKE '%pg_stat_statements%'
		ORDER BY calls DESC, total_exec_time DESC`)
	if err != nil {
		return fmt.Errorf("-pg-statements: %w", err)
	}
	var calls, nrows int64
	var ms float64
	var query string
	var sumCalls int64
	var sumMS float64
	per := float64(max(syncs, 1))
	_, err = pgx.ForEachRow(rows, []any{&calls, &nrows, &ms, &query}, func() error {
		sumCalls, sumMS = sumCalls+calls, sumMS+ms
		q := strings.Join(strings.Fields(query), " ")
		if len(q) > 160 {
			q = q[:160] + "..."
		}
		slog.Info("pg statement", "calls_per_sync", fmt.Sprintf("%.3f", float64(calls)/per), "exec_us_per_sync", fmt.Sprintf("%.1f", ms*1000/per),
			"rows_per_call", fmt.Sprintf("%.1f", float64(nrows)/float64(max(calls, 1))), "calls", calls, "query", q)
		return nil
	})
	if err != nil {
		return fmt.Errorf("-pg-statements: %w", err)
	}
	slog.Info("pg statements", "syncs", syncs, "calls_per_sync", fmt.Sprintf("%.2f", float64(sumCalls)/per), "exec_us_per_sync", fmt.Sprintf("%.1f", sumMS*1000/per))
	return nil
}
