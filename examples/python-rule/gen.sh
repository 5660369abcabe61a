#!/bin/sh
# Generates the Python gRPC stubs the plugin imports into ./gen, from the
# same .proto files the Go SDK is generated from (sdk/proto) plus the health
# and go-plugin controller services. Needs Debian's python3-grpc-tools (and
# python3-grpcio, python3-protobuf, python3-cryptography to run the plugin).
# PYTHON picks the interpreter (default: the first of python3 and
# /usr/bin/python3 that has grpc_tools); OUT the output directory (default
# ./gen).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/gen}"
python="${PYTHON:-}"
if [ -z "$python" ]; then
	for p in python3 /usr/bin/python3; do
		if "$p" -c 'import grpc_tools.protoc' 2>/dev/null; then
			python="$p"
			break
		fi
	done
fi
if [ -z "$python" ]; then
	echo "gen.sh: no python3 with grpc_tools; apt-get install -y python3-grpc-tools python3-grpcio python3-protobuf python3-cryptography" >&2
	exit 1
fi
mkdir -p "$out"
"$python" -m grpc_tools.protoc \
	-I "$here/../../sdk/proto" -I "$here/proto" \
	--python_out="$out" --grpc_python_out="$out" \
	jwtd/common/v1/common.proto \
	jwtd/authrule/v1/authrule.proto \
	grpc_health/v1/health.proto \
	go_plugin/grpc_controller.proto
