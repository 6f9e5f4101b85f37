package main

// config is what keneshctl takes from its environment, all read here once
// (run; the tests give their own getenv).
type config struct {
	data          string // $KENESH_DATA: the data directory when --data is not given
	passphrase    string // $KENESH_PASSPHRASE: the store's, instead of asking
	newPassphrase string // $KENESH_NEW_PASSPHRASE: the new one for passphrase change
	cheapKDF      bool   // $KENESH_KDF=test: cheap key derivation, for test suites only
}

func readConfig(getenv func(string) string) config {
	return config{
		data:          getenv("KENESH_DATA"),
		passphrase:    getenv("KENESH_PASSPHRASE"),
		newPassphrase: getenv("KENESH_NEW_PASSPHRASE"),
		cheapKDF:      getenv("KENESH_KDF") == "test",
	}
}
