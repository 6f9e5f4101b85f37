package pgtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// Each test's schema is its own: a table made in one is not in another.
func TestSchemasAreApart(t *testing.T) {
	ctx := context.Background()
	a, b := URL(t), URL(t)
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	if _, err := ca.Exec(ctx, "CREATE TABLE x (n int); INSERT INTO x VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if _, err := cb.Exec(ctx, "CREATE TABLE x (n int)"); err != nil {
		t.Fatalf("the same table in another test's schema: %v", err)
	}
	var n int
	if err := cb.QueryRow(ctx, "SELECT count(*) FROM x").Scan(&n); err != nil || n != 0 {
		t.Fatalf("another schema's rows: %d, %v", n, err)
	}
	var v string
	if err := ca.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	t.Logf("PostgreSQL %s at %s", v, Shared(t).Socket())
}

// A cluster of its own stops and leaves nothing behind.
func TestStartStop(t *testing.T) {
	Shared(t) // skips or fails as every test does without PostgreSQL
	c, err := Start(Options{Durable: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := c.NewDatabase(ctx, "kenesh")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	var fsync string
	if err := conn.QueryRow(ctx, "SHOW fsync").Scan(&fsync); err != nil || fsync != "on" {
		t.Fatalf("a durable cluster's fsync: %q, %v", fsync, err)
	}
	conn.Close(ctx)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(c.Socket(), "data")); !os.IsNotExist(err) {
		t.Fatalf("the cluster's directory is left: %v", err)
	}
}
