"""Python side of the benchmarks: builds the models the benches train (TF1 graphs, written as
MetaGraphDefs that both sides load) and times Python TF on request, so its rows interleave with
the Node and raw C rows of one run.

    python3 tf1_bench.py build <mlp|cnn|bigmeta> <out.meta>   build a model, export its MetaGraphDef
    python3 tf1_bench.py serve                              answer JSON commands, one a line (below)

Every model but vars100 has: feeds `x:0` (float32) and `y:0` (int32 labels), `loss:0`, the train op `train`,
`init` (initializes every variable, for the raw C loop), a global step, a `loss` scalar summary
(SUMMARY_OP collection) and a Saver (SAVERS collection).

  mlp      MNIST-shaped MLP: x [128, 784] -> dense 512 + relu -> dense 10; softmax cross entropy;
           Adam(1e-3)
  cnn      x [128, 784] as 28x28x1 -> conv 3x3x16 + batch norm (training, moving statistics in
           UPDATE_OPS) + relu + max-pool 2 -> conv 3x3x32 + batch norm + relu + max-pool 2 ->
           dropout 0.25 -> dense 128 + relu -> dense 10; L2 on the kernels; momentum 0.9
  vars100  25 float32 variables of 1,000,000 elements (100 MB) and `init`, nothing else
  bigmeta  the cnn plus BLOCKS small conv + batch-norm blocks at 7x7 (little compute, many ops):
           a graph whose MetaGraphDef is ~1 MB
  bigconst the cnn plus a ~1 MB Const (an evaluation set kept in the graph, not run by the step):
           a MetaGraphDef of ~1 MB made of one big tensor rather than many ops

serve: each stdin line is a JSON object {"op": ..., ...}; each answer one JSON line on stdout,
{"ok": true, ...} or {"ok": false, "error": "..."}. Ops:
  build  {kind, out} -> {meta, bytes}: as the build command (one TF import for the whole bench)
  open   {id, meta, config, kind: "session"|"mts", mts: {...MonitoredTrainingSession kwargs}}
  feeds  {id, feeds: [{name, dims, fill: float|unit|label}], fetches: [...], targets: [...]}
  time   {id, iters} -> {us}: µs per step of `iters` runs of the fetches/targets with the feeds
  close  {id}
  saver_open     {id, meta, config, dir, write_meta}: a Session on the MetaGraphDef, `init` run, its
                 Saver (SAVERS collection) or a new Saver(max_to_keep=2)
  saver_save     {id, iters} -> {us}: µs per save (global_step, write_meta_graph as opened)
  saver_restore  {id, iters} -> {us}: µs per restore of the last save
Feeds are made once (numpy arrays filled as bench/raw_loop.c fills them) and fed every run.
"""
import json
import os
import sys
import tempfile
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1
tf.get_logger().setLevel('ERROR')
tf1.disable_v2_behavior()

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts', 'fixtures'))
from tf1_batch_norm import batch_norm  # noqa: E402

BATCH = 128
BLOCKS = 16
EVAL_SAMPLES = 330  # bigconst: 330 x 784 float32, ~1 MB
VAR_COUNT, VAR_ELEMS = 25, 1000000  # vars100: 25 float32 variables, 100 MB


def fill(spec):
    n = int(np.prod(spec['dims'])) if spec['dims'] else 1
    kind = spec.get('fill', 'float')
    i = np.arange(n)
    if kind == 'label':
        a = (i % 10).astype(np.int32)
    elif kind == 'unit':
        a = (i % 251).astype(np.float32) / np.float32(251)
    else:
        a = (i + 1).astype(np.float32)
    return a.reshape(spec['dims'])


def dense(h, units, name, l2=None):
    with tf1.variable_scope(name):
        w = tf1.get_variable('kernel', [int(h.shape[-1]), units], regularizer=l2)
        b = tf1.get_variable('bias', [units], initializer=tf1.zeros_initializer())
        return tf1.nn.xw_plus_b(h, w, b)




def conv_block(h, channels, name, l2):
    with tf1.variable_scope(name):
        w = tf1.get_variable('kernel', [3, 3, int(h.shape[-1]), channels], regularizer=l2)
        b = tf1.get_variable('bias', [channels], initializer=tf1.zeros_initializer())
        return tf.nn.relu(batch_norm(tf.nn.bias_add(tf.nn.conv2d(h, w, [1, 1, 1, 1], 'SAME'), b)))


def build(kind):
    tf1.set_random_seed(1234)
    if kind == 'vars100':
        vs = [tf1.get_variable('v%02d' % i, [VAR_ELEMS], initializer=tf1.random_uniform_initializer(seed=i)) for i in range(VAR_COUNT)]
        tf.group(*[v.initializer for v in vs], name='init')
        return
    x = tf1.placeholder(tf.float32, [BATCH, 784], name='x')
    y = tf1.placeholder(tf.int32, [BATCH], name='y')
    global_step = tf1.train.get_or_create_global_step()
    if kind == 'mlp':
        logits = dense(tf.nn.relu(dense(x, 512, 'dense1')), 10, 'dense2')
        loss = tf.identity(tf1.losses.sparse_softmax_cross_entropy(y, logits), name='loss')
        train = tf1.train.AdamOptimizer(1e-3).minimize(loss, global_step=global_step, name='train')
    else:
        l2 = lambda w: tf.multiply(1e-4, tf.nn.l2_loss(w), name='l2')  # noqa: E731
        h = tf.reshape(x, [BATCH, 28, 28, 1])
        h = tf.nn.max_pool2d(conv_block(h, 16, 'conv1', l2), 2, 2, 'SAME')
        h = tf.nn.max_pool2d(conv_block(h, 32, 'conv2', l2), 2, 2, 'SAME')
        if kind == 'bigmeta':
            for i in range(BLOCKS):
                h = h + conv_block(h, 32, 'extra%d' % i, l2) * 0.1
        if kind == 'bigconst':
            # An evaluation set kept in the graph (as in-graph data sets are): ~1 MB of Const.
            evals = (np.arange(EVAL_SAMPLES * 784) % 251).astype(np.float32).reshape(EVAL_SAMPLES, 784) / np.float32(251)
            tf.reduce_mean(tf.constant(evals, name='eval_images'), name='eval_mean')
        h = tf1.nn.dropout(tf.reshape(h, [BATCH, 7 * 7 * 32]), rate=0.25, seed=5)
        logits = dense(tf.nn.relu(dense(h, 128, 'dense1', l2)), 10, 'dense2', l2)
        xent = tf1.losses.sparse_softmax_cross_entropy(y, logits)
        loss = tf.identity(xent + tf1.losses.get_regularization_loss(), name='loss')
        with tf.control_dependencies(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)):
            train = tf1.train.MomentumOptimizer(0.01, 0.9).minimize(loss, global_step=global_step, name='train')
    tf1.add_to_collection(tf1.GraphKeys.TRAIN_OP, train)
    tf1.summary.scalar('loss', loss)
    tf1.add_to_collection(tf1.GraphKeys.SUMMARY_OP, tf1.summary.merge_all())
    tf1.add_to_collection(tf1.GraphKeys.SAVERS, tf1.train.Saver())
    tf.group(*[v.initializer for v in tf1.global_variables()], name='init')


def cmd_build(kind, out):
    with tf1.Graph().as_default():
        build(kind)
        tf1.train.export_meta_graph(filename=out)
    return {'meta': out, 'bytes': os.path.getsize(out)}


def config_from(path):
    cfg = tf1.ConfigProto()
    if path:
        with open(path, 'rb') as f:
            cfg.ParseFromString(f.read())
    return cfg


class Runner:
    def __init__(self, req):
        self.graph = tf1.Graph()
        with self.graph.as_default():
            tf1.train.import_meta_graph(req['meta'])
            cfg = config_from(req.get('config'))
            if req.get('kind') == 'mts':
                kwargs = dict(req.get('mts') or {})
                if kwargs.get('checkpoint_dir') == 'TEMP':
                    kwargs['checkpoint_dir'] = tempfile.mkdtemp(prefix='tf1-bench-')
                self.sess = tf1.train.MonitoredTrainingSession(config=cfg, **kwargs)
            else:
                self.sess = tf1.Session(config=cfg)
                self.sess.run('init')
        self.fetches, self.feed = [], {}

    def set_feeds(self, req):
        self.feed = {f['name']: fill(f) for f in req.get('feeds', [])}
        self.fetches = list(req.get('fetches', [])) + list(req.get('targets', []))

    def time(self, iters):
        run, fetches, feed = self.sess.run, self.fetches, self.feed
        t0 = time.perf_counter()
        for _ in range(iters):
            run(fetches, feed_dict=feed)
        return (time.perf_counter() - t0) * 1e6 / iters

    def close(self):
        self.sess.close()


class SaverRunner:
    """A Session on an imported MetaGraphDef and its Saver (the one in SAVERS, else a new one)."""

    def __init__(self, req):
        self.graph = tf1.Graph()
        self.dir = req['dir']
        self.write_meta = bool(req.get('write_meta'))
        with self.graph.as_default():
            saver = tf1.train.import_meta_graph(req['meta'])
            self.saver = saver or tf1.train.Saver(max_to_keep=2)
            self.sess = tf1.Session(config=config_from(req.get('config')))
            self.sess.run('init')
        self.n = 0
        self.last = None

    def save(self, iters):
        t0 = time.perf_counter()
        for _ in range(iters):
            self.n += 1
            self.last = self.saver.save(self.sess, os.path.join(self.dir, 'model'), global_step=self.n, write_meta_graph=self.write_meta)
        return (time.perf_counter() - t0) * 1e6 / iters

    def restore(self, iters):
        if self.last is None:
            self.save(1)
        t0 = time.perf_counter()
        for _ in range(iters):
            self.saver.restore(self.sess, self.last)
        return (time.perf_counter() - t0) * 1e6 / iters

    def close(self):
        self.sess.close()


def serve():
    objs = {}
    out = sys.stdout
    out.write(json.dumps({'ok': True, 'ready': True, 'version': tf.__version__}) + '\n')
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            op, rid = req['op'], req.get('id')
            res = {}
            if op == 'build':
                res.update(cmd_build(req['kind'], req['out']))
            elif op == 'open':
                objs[rid] = Runner(req)
            elif op == 'feeds':
                objs[rid].set_feeds(req)
            elif op == 'time':
                res['us'] = objs[rid].time(int(req['iters']))
            elif op == 'saver_open':
                objs[rid] = SaverRunner(req)
            elif op == 'saver_save':
                res['us'] = objs[rid].save(int(req['iters']))
            elif op == 'saver_restore':
                res['us'] = objs[rid].restore(int(req['iters']))
            elif op == 'close':
                objs.pop(rid).close()
            else:
                raise ValueError('unknown op %r' % op)
            res['ok'] = True
        except Exception as e:  # noqa: BLE001 (reported to the bench, which prints it)
            res = {'ok': False, 'error': '%s: %s' % (type(e).__name__, e)}
        out.write(json.dumps(res) + '\n')
        out.flush()
    for o in objs.values():
        o.close()


if __name__ == '__main__':
    if sys.argv[1] == 'build':
        print(json.dumps(cmd_build(sys.argv[2], sys.argv[3])))
    elif sys.argv[1] == 'serve':
        serve()
    else:
        raise SystemExit(__doc__)
