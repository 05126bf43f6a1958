{
  "targets": [
    {
      "target_name": "tf_monitored",
      "sources": [
        "native/addon.cc",
        "native/async.cc",
        "native/checkpoint_reader.cc",
        "native/common.cc",
        "native/quiet_load.cc",
        "native/graph.cc",
        "native/server.cc",
        "native/session.cc",
        "native/tensor.cc",
        "native/tf_api.cc",
        "native/tf_files.cc",
        "native/writable_file.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node scripts/setup-libtensorflow.mjs --print-include)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++20", "-fexceptions", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-ldl"]
    }
  ]
}
