/*
 * raw_loop: the "raw C" baseline of the benchmarks. It imports a serialized GraphDef, opens a
 * session with serialized ConfigProto bytes (both written by the TS side, so both sides run the
 * very same graph and config), runs the init ops once, then times TF_SessionRun loops on request.
 *
 *   raw_loop <graph.pb> <config.pb> [init_op,...|-]
 *
 * Prints "ready <TF_Version()> <path of the loaded library>" once set up, then reads commands on
 * stdin, one a line, and answers each with one line on stdout:
 *
 *   run <iters> <reuse|fresh> <feed name|-> <feed dims, comma-separated|-> <fetches|-> <targets|->
 *     -> "ok <total wall ns> <checksum> <total process CPU ns>" or "err <message>"
 *
 *   run ... <targets|-> <then fetches|-> <then targets|->
 *     the same, and each iteration then makes a second run, without feeds, of these fetches and
 *     targets (a MonitoredTrainingSession step with a checkpoint saver makes two runs: the step
 *     and a read of the global step)
 *
 * The feed is float32, filled with 1, 2, 3, ... `reuse` makes the feed tensor once and hands the
 * same one to every run (the cheapest a C caller can do); `fresh` allocates and fills a new one
 * each run (what a binding that copies its input pays). Every fetched tensor is read (checksum)
 * and deleted each run. Fetches and targets are comma-separated names ('y:0', 'train').
 * EOF on stdin ends the program.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tensorflow/c/c_api.h>

#define MAX_N 64

static void die(const char* what, TF_Status* s) {
  fprintf(stderr, "raw_loop: %s: %s\n", what, s ? TF_Message(s) : "");
  exit(1);
}

static void* read_file(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "raw_loop: cannot open %s\n", path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void* buf = malloc(n > 0 ? (size_t)n : 1);
  if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "raw_loop: cannot read %s\n", path);
    exit(1);
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static int64_t clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Splits a comma-separated list in place; "-" is the empty list. */
static int split(char* s, char** out, int max) {
  int n = 0;
  if (!s || strcmp(s, "-") == 0) return 0;
  for (char* tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ",")) out[n++] = tok;
  return n;
}

static TF_Operation* op_by_name(TF_Graph* g, const char* name) {
  TF_Operation* op = TF_GraphOperationByName(g, name);
  if (!op) {
    printf("err no operation '%s'\n", name);
    fflush(stdout);
  }
  return op;
}

/* 'name:index' (or 'name' = output 0) */
static int resolve_output(TF_Graph* g, const char* spec, TF_Output* out) {
  char name[512];
  snprintf(name, sizeof name, "%s", spec);
  int index = 0;
  char* colon = strrchr(name, ':');
  if (colon) {
    *colon = 0;
    index = atoi(colon + 1);
  }
  TF_Operation* op = op_by_name(g, name);
  if (!op) return 0;
  out->oper = op;
  out->index = index;
  return 1;
}

static TF_Tensor* make_feed(const int64_t* dims, int ndims) {
  size_t n = 1;
  for (int i = 0; i < ndims; i++) n *= (size_t)dims[i];
  TF_Tensor* t = TF_AllocateTensor(TF_FLOAT, dims, ndims, n * sizeof(float));
  float* p = (float*)TF_TensorData(t);
  for (size_t i = 0; i < n; i++) p[i] = (float)(i + 1);
  return t;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: raw_loop <graph.pb> <config.pb> [init_op,...|-]\n");
    return 2;
  }
  TF_Status* status = TF_NewStatus();

  size_t glen = 0, clen = 0;
  void* gbytes = read_file(argv[1], &glen);
  void* cbytes = read_file(argv[2], &clen);

  TF_Graph* graph = TF_NewGraph();
  TF_Buffer* gdef = TF_NewBufferFromString(gbytes, glen);
  TF_ImportGraphDefOptions* iopts = TF_NewImportGraphDefOptions();
  TF_GraphImportGraphDef(graph, gdef, iopts, status);
  if (TF_GetCode(status) != TF_OK) die("TF_GraphImportGraphDef", status);
  TF_DeleteImportGraphDefOptions(iopts);
  TF_DeleteBuffer(gdef);

  TF_SessionOptions* sopts = TF_NewSessionOptions();
  /* Always set, even when empty (= the default ConfigProto), as the addon does for bytes. */
  TF_SetConfig(sopts, cbytes, clen, status);
  if (TF_GetCode(status) != TF_OK) die("TF_SetConfig", status);
  TF_Session* sess = TF_NewSession(graph, sopts, status);
  if (TF_GetCode(status) != TF_OK) die("TF_NewSession", status);
  TF_DeleteSessionOptions(sopts);

  if (argc > 3) {
    char* names[MAX_N];
    char* list = strdup(argv[3]);
    int n = split(list, names, MAX_N);
    TF_Operation* ops[MAX_N];
    for (int i = 0; i < n; i++) {
      ops[i] = TF_GraphOperationByName(graph, names[i]);
      if (!ops[i]) {
        fprintf(stderr, "raw_loop: no init operation '%s'\n", names[i]);
        return 1;
      }
    }
    if (n > 0) {
      TF_SessionRun(sess, NULL, NULL, NULL, 0, NULL, NULL, 0, (const TF_Operation* const*)ops, n, NULL, status);
      if (TF_GetCode(status) != TF_OK) die("init run", status);
    }
    free(list);
  }

  /* Where TF_Version came from: the caller checks it is the library the addon loaded. */
  Dl_info where;
  const char* libPath = dladdr((void*)TF_Version, &where) && where.dli_fname ? where.dli_fname : "?";
  printf("ready %s %s\n", TF_Version(), libPath);
  fflush(stdout);

  char line[4096];
  while (fgets(line, sizeof line, stdin)) {
    char cmd[16], mode[16], feed[512], dimspec[256], fetchspec[2048], targetspec[1024];
    char thenFetchspec[2048] = "-", thenTargetspec[1024] = "-";
    long iters = 0;
    int fields = sscanf(line, "%15s %ld %15s %511s %255s %2047s %1023s %2047s %1023s", cmd, &iters, mode, feed, dimspec,
                        fetchspec, targetspec, thenFetchspec, thenTargetspec);
    if ((fields != 7 && fields != 9) || strcmp(cmd, "run") != 0) {
      printf("err bad command: %s", line);
      fflush(stdout);
      continue;
    }
    int fresh = strcmp(mode, "fresh") == 0;

    TF_Output inputs[1];
    int ninputs = 0;
    int64_t dims[16];
    int ndims = 0;
    if (strcmp(feed, "-") != 0) {
      if (!resolve_output(graph, feed, &inputs[0])) continue;
      ninputs = 1;
      char* d[16];
      ndims = split(dimspec, d, 16);
      for (int i = 0; i < ndims; i++) dims[i] = atoll(d[i]);
    }

    char* fetchNames[MAX_N];
    char* targetNames[MAX_N];
    int nout = split(fetchspec, fetchNames, MAX_N);
    int ntargets = split(targetspec, targetNames, MAX_N);
    TF_Output outputs[MAX_N];
    TF_Operation* targets[MAX_N];
    int ok = 1;
    for (int i = 0; i < nout && ok; i++) ok = resolve_output(graph, fetchNames[i], &outputs[i]);
    for (int i = 0; i < ntargets && ok; i++) ok = (targets[i] = op_by_name(graph, targetNames[i])) != NULL;
    /* The optional second run of each iteration. */
    int twice = fields == 9;
    char* thenFetchNames[MAX_N];
    char* thenTargetNames[MAX_N];
    int thenNout = twice ? split(thenFetchspec, thenFetchNames, MAX_N) : 0;
    int thenNtargets = twice ? split(thenTargetspec, thenTargetNames, MAX_N) : 0;
    TF_Output thenOutputs[MAX_N];
    TF_Operation* thenTargets[MAX_N];
    for (int i = 0; i < thenNout && ok; i++) ok = resolve_output(graph, thenFetchNames[i], &thenOutputs[i]);
    for (int i = 0; i < thenNtargets && ok; i++) ok = (thenTargets[i] = op_by_name(graph, thenTargetNames[i])) != NULL;
    if (!ok) continue;

    TF_Tensor* feedTensor = ninputs && !fresh ? make_feed(dims, ndims) : NULL;
    TF_Tensor* in[1];
    TF_Tensor* out[MAX_N];
    double checksum = 0;
    int64_t c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    int64_t t0 = clock_ns(CLOCK_MONOTONIC);
    for (long it = 0; it < iters; it++) {
      if (ninputs) in[0] = fresh ? make_feed(dims, ndims) : feedTensor;
      TF_SessionRun(sess, NULL, inputs, in, ninputs, outputs, out, nout, (const TF_Operation* const*)targets, ntargets, NULL,
                    status);
      if (TF_GetCode(status) != TF_OK) {
        if (fresh && ninputs) TF_DeleteTensor(in[0]);
        break;
      }
      for (int i = 0; i < nout; i++) {
        if (TF_TensorType(out[i]) == TF_FLOAT && TF_TensorByteSize(out[i]) >= sizeof(float)) {
          checksum += *(const float*)TF_TensorData(out[i]);
        }
        TF_DeleteTensor(out[i]);
      }
      if (fresh && ninputs) TF_DeleteTensor(in[0]);
      if (!twice) continue;
      TF_SessionRun(sess, NULL, NULL, NULL, 0, thenOutputs, out, thenNout, (const TF_Operation* const*)thenTargets,
                    thenNtargets, NULL, status);
      if (TF_GetCode(status) != TF_OK) break;
      for (int i = 0; i < thenNout; i++) {
        if (TF_TensorType(out[i]) == TF_INT64 && TF_TensorByteSize(out[i]) >= sizeof(int64_t)) {
          checksum += (double)*(const int64_t*)TF_TensorData(out[i]);
        }
        TF_DeleteTensor(out[i]);
      }
    }
    int64_t t1 = clock_ns(CLOCK_MONOTONIC);
    int64_t c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    if (feedTensor) TF_DeleteTensor(feedTensor);
    if (TF_GetCode(status) != TF_OK) {
      printf("err %s\n", TF_Message(status));
    } else {
      printf("ok %lld %.6g %lld\n", (long long)(t1 - t0), checksum, (long long)(c1 - c0));
    }
    fflush(stdout);
  }

  TF_CloseSession(sess, status);
  TF_DeleteSession(sess, status);
  TF_DeleteGraph(graph);
  TF_DeleteStatus(status);
  free(gbytes);
  free(cbytes);
  return 0;
}
