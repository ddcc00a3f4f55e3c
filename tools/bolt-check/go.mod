module vigil.local/tools/bolt-check

go 1.26

require (
	github.com/aquasecurity/bolt-fixtures v0.0.0-20200903104109-d34e7f983986
	go.etcd.io/bbolt v1.4.3
)

require (
	github.com/goccy/go-yaml v1.19.0 // indirect
	golang.org/x/sys v0.29.0 // indirect
)
