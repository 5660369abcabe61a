#!/bin/sh
# Regenerates the Go code beside each .proto file. Needs Debian's
# protobuf-compiler (apt-get install -y protobuf-compiler) and the pinned
# generators below; `make proto` runs this script.
set -eu
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.5.1
cd "$(dirname "$0")"
GOBIN="$(go env GOPATH)/bin"
if ! "$GOBIN/protoc-gen-go" --version 2>/dev/null | grep -q "$PROTOC_GEN_GO_VERSION"; then
	go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
fi
if ! "$GOBIN/protoc-gen-go-grpc" --version 2>/dev/null | grep -q "${PROTOC_GEN_GO_GRPC_VERSION#v}"; then
	go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"
fi
PATH="$GOBIN:$PATH" protoc -I . \
	--go_out=. --go_opt=paths=source_relative \
	--go-grpc_out=. --go-grpc_opt=paths=source_relative \
	jwtd/common/v1/common.proto \
	jwtd/userstore/v1/userstore.proto \
	jwtd/blackliststore/v1/blackliststore.proto \
	jwtd/authrule/v1/authrule.proto \
	jwtd/claimserializer/v1/claimserializer.proto
