// Package policy says which device may write and read which records: the
// rule the server enforces on every operation, and that a laptop checks
// before it saves, so a person hears "not allowed" at once instead of
// finding a refusal after the next sync.
package policy
