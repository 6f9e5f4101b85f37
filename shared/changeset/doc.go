// Package changeset defines operations (one save on one device: a record's
// changed fields, stamped with a hybrid logical clock) and the per-field merge
// that makes every replica agree whatever order operations arrive in.
package changeset
