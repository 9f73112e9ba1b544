"""Docstring fragments shared by skae's estimators.

A class docstring names a shared entry on a line of its own, ``{{name}}``;
:func:`fill_doc` replaces that line with the entry, indented alike. The
rendered docstring (``help``, Sphinx, doctests) is complete, and the text of
a parameter that several estimators share lives in one place.
"""

import functools
import re
import textwrap

from skae.nn import ARCHITECTURES

_CORRUPTION = """\
    Train a denoising autoencoder: the encoder sees corrupted inputs and the
    network learns to reconstruct the clean ones. ``"gaussian"`` adds noise
    of standard deviation ``corruption_level``; ``"masking"`` sets a
    fraction ``corruption_level`` of the values to 0; ``"cutout"`` sets a
    square of each image to 0, of side ``corruption_level`` times the
    image's shorter side (needs ``image_shape``). The corruption is
    drawn from the estimator's own generator and only while training:
    ``transform``, ``inverse_transform`` and scoring never corrupt. None
    trains on clean inputs."""

_RESOLVED = """\
architecture_ : str
    The architecture trained, ``architecture`` with ``"auto"`` resolved.

loss_ : str
    The reconstruction loss trained, ``loss`` with ``"auto"`` resolved.

batch_size_ : int
    Rows per step, ``batch_size`` with ``"auto"`` resolved (256); fewer
    training rows than that make one batch."""

_ENTRIES = {
    # ---------------------------------------------------------------- parameters
    "n_components": """
n_components : int, default=32
    Size of the code, the number of features ``transform`` returns.
""",
    "architecture": f"""
architecture : {{"auto", {", ".join(f'"{name}"' for name in ARCHITECTURES)}}}, default="auto"
    The network. ``"auto"`` is ``"conv"`` for the transformers and ``"vgg"``
    for :class:`~skae.AutoencoderClassifier` when ``image_shape`` is given,
    ``"dense"`` otherwise; the choice is ``architecture_``. ``"dense"`` is a
    stack of fully connected layers (``hidden_layer_sizes``). ``"conv"`` is
    a convolutional autoencoder for images: stride-2 3x3 convolutions with
    ``conv_channels``, mirrored by transposed ones; needs ``image_shape``.
    ``"vgg"`` has the same decoder and a VGG-style encoder: per stage of
    ``conv_channels``, two batch-normalised 3x3 convolutions and 2x2 max
    pooling (about four times the computation of ``"conv"``, and the more
    accurate classifier). Either half can be replaced by the user's own
    module (``encoder``, ``decoder``).
""",
    "image_shape": """
image_shape : tuple of int, default=None
    Shape of the image each row of ``X`` holds: ``(height, width)`` for
    grayscale or ``(channels, height, width)``, in channels-first order
    (``X[i].reshape(image_shape)`` is image ``i``). One entry may be -1, to
    be inferred from the number of features. Needed by
    ``architecture="conv"``; with a custom ``encoder`` it sets the shape of
    the batches the encoder receives. ``X`` stays a 2-D array.
""",
    "hidden_layer_sizes": """
hidden_layer_sizes : array-like of shape (n_layers,) or int, default=(256,)
    Widths of the dense encoder's hidden layers, from the input inwards; the
    dense decoder uses them in reverse. An empty tuple gives a linear-code
    autoencoder without hidden layers. Used by ``architecture="dense"``.
""",
    "conv_channels": """
conv_channels : array-like of shape (n_stages,) or int, default=(32, 64)
    Output channels of the convolutional encoder's stages, from the input
    inwards. Each stage is a 3x3 convolution with stride 2, which halves the
    height and width (rounding up); a linear layer then maps the last stage
    to the code. The decoder mirrors it with transposed convolutions and
    crops its output to ``image_shape``, so any image size works. Used by
    ``architecture="conv"``.
""",
    "activation": """
activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
    Activation after every hidden layer or convolution stage of the built-in
    architectures. The code and the output are linear, except for the
    sigmoid output that ``loss="bce"`` implies.
""",
    "encoder": """
encoder : callable, default=None
    The user's own encoder: a :class:`torch.nn.Module` class or any factory
    returning a module, called with the ``encoder__*`` keyword arguments
    (e.g. ``encoder__channels=(64, 128)``). It receives batches of shape
    ``(n, *image_shape)`` (with an explicit channel axis) when
    ``image_shape`` is set, else ``(n, n_features)``, and may output
    features of any shape: they are flattened and a linear layer maps them
    to the code, so the module needs no ``n_components``. None uses the
    encoder of ``architecture``.
""",
    "decoder": """
decoder : callable, default=None
    The user's own decoder, built like ``encoder`` from the ``decoder__*``
    keyword arguments. It maps codes of shape ``(n, n_components)`` to
    ``n_features`` values per sample (any shape; they are flattened). If it
    takes an ``n_components`` argument that is not given as
    ``decoder__n_components``, the estimator's ``n_components`` is passed,
    so that a search over ``n_components`` needs nothing else. None uses the
    decoder of ``architecture``.
""",
    "loss": """
loss : {"auto", "mse", "bce"}, default="auto"
    Reconstruction loss: mean squared error, or binary cross-entropy with
    a sigmoid output for inputs scaled to [0, 1] (e.g. pixel intensities).
    ``"auto"`` is ``"bce"`` when every training value lies in [0, 1], else
    ``"mse"``; the choice is ``loss_``. With ``"bce"``, rows that are scored
    (``score``, ``score_samples``) must lie in [0, 1] too; rows that are
    only encoded or classified need not.
""",
    "corruption": f"""
corruption : {{"gaussian", "masking", "cutout"}}, default=None
{_CORRUPTION}
""",
    "n_components_auto": """
n_components : int or "auto", default="auto"
    Size of the code, the number of features ``transform`` returns.
    ``"auto"`` is 128 when ``image_shape`` is given and 32 for flat rows;
    the choice is ``n_components_``.
""",
    "corruption_auto": f"""
corruption : {{"gaussian", "masking", "cutout"}}, None or "auto", default="auto"
{_CORRUPTION}
    ``"auto"`` is ``"gaussian"`` on images whose values lie in [0, 1]
    (pixel intensities), else None: the code of a plain autoencoder falls
    apart on images with mild sensor noise (see the user guide); the choice
    is ``corruption_``.
""",
    "corruption_level_auto": """
corruption_level : float or "auto", default="auto"
    The noise's standard deviation (``"gaussian"``), the masked fraction
    (``"masking"``) or the square's relative side (``"cutout"``); unused
    without ``corruption``. ``"auto"`` is 0.2 for Gaussian noise on images
    whose values lie in [0, 1], else 0.1; the choice is
    ``corruption_level_``.
""",
    "corruption_level": """
corruption_level : float, default=0.1
    The noise's standard deviation (``"gaussian"``), the masked fraction
    (``"masking"``) or the square's relative side (``"cutout"``); unused
    without ``corruption``.
""",
    "learning_rate": """
learning_rate : {"constant", "cosine", "one_cycle"}, default="constant"
    The learning rate's schedule over the epochs of one ``fit``.
    ``"constant"`` keeps ``learning_rate_init``; ``"cosine"`` decays it
    from ``learning_rate_init`` towards 0 along a half cosine over
    ``max_iter`` epochs, set at each epoch, which usually ends training at
    a better optimum when the number of epochs is fixed; ``"one_cycle"``
    sets it at every step, rising from a 25th of ``learning_rate_init`` to
    it over the first quarter of the epochs, then falling along a half
    cosine. Both plan all ``max_iter`` epochs (no early stop on the
    training loss). ``partial_fit`` trains one epoch at
    ``learning_rate_init``.
""",
    "learning_rate_init": """
learning_rate_init : float, default=1e-3
    Adam's learning rate.
""",
    "alpha": """
alpha : float, default=1e-4
    Strength of the L2 penalty on the weights, scaled as in
    :class:`~sklearn.neural_network.MLPRegressor`: ``alpha / 2 * ||W||^2``
    is added to the squared error summed over the features, and both are
    divided by the batch size (Adam's ``weight_decay`` is therefore
    ``2 * alpha / (batch_size * n_features)``).
""",
    "batch_size": """
batch_size : int or "auto", default="auto"
    Size of the training mini-batches. ``"auto"`` is
    ``min(256, n_samples)``; larger values are clipped to the number of
    training samples.
""",
    "max_iter": """
max_iter : int, default=200
    Maximum number of epochs (passes over the training data).
""",
    "shuffle": """
shuffle : bool, default=True
    Whether to reshuffle the training data before every epoch.
""",
    "shuffle_window": """
shuffle_window : int, default=64
    Batches read and shuffled together when X is out of core (a
    :class:`numpy.memmap`, or an array-like that is not an ndarray: an h5py
    or zarr dataset, a dask array); ignored for in-memory X. Such an X is
    never loaded whole: each epoch reads it by chunks of ``batch_size``
    contiguous rows in a new order, and shuffles the rows of
    ``shuffle_window`` chunks at a time, so training holds about
    ``shuffle_window * batch_size`` rows at a time. That order is less
    random than a full shuffle when the rows are sorted (say by class): make
    the window span several sorted runs. The pretraining of
    :class:`~skae.AutoencoderClassifier` streams so, and so does the
    unlabeled half of its fine-tuning; it reads the labeled rows into
    memory. See :class:`skae.nn.ChunkedBatches`.
""",
    "tol": """
tol : float, default=1e-4
    Training stops when the monitored loss (training loss, or validation
    loss with ``early_stopping``) has not improved by at least ``tol`` for
    more than ``n_iter_no_change`` consecutive epochs.
""",
    "early_stopping": """
early_stopping : bool, default=False
    Whether to hold out ``validation_fraction`` of the training data,
    monitor the loss on it, stop when it stops improving and restore the
    weights of the best validation epoch. From an out-of-core X (see
    ``shuffle_window``) the held-out rows are whole chunks of ``batch_size``
    rows, drawn at random and read at every validation.
""",
    "validation_fraction": """
validation_fraction : float, default=0.1
    Fraction of the training data held out with ``early_stopping``.
""",
    "n_iter_no_change": """
n_iter_no_change : int, default=10
    Number of epochs without ``tol`` improvement tolerated.
""",
    "device": """
device : str or torch.device, default="auto"
    Where to train and infer: ``"auto"`` (CUDA when available, else CPU),
    ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
""",
    "precision": """
precision : {"float32", "float64", "bfloat16", "float16"}, default="float32"
    Floating-point type of the network's computation, in training and
    inference. ``"bfloat16"`` and ``"float16"`` keep float32 weights and run
    the forward passes under :func:`torch.autocast` (mixed precision):
    faster where the hardware has half-precision units (recent x86 CPUs
    with AVX-512 BF16 or AMX, most GPUs), at a small cost in accuracy.
    ``"float16"`` needs CUDA and scales the gradients; ``"bfloat16"`` on a
    GPU needs one that supports it. An unsupported combination is a
    ``ValueError`` at ``fit``. Outputs have the dtype of the input either
    way.
""",
    "compile": """
compile : bool, default=False
    Run the training step and the inference forward pass through
    :func:`torch.compile`. The first epoch pays the compilation (reported
    apart from the epoch times with ``verbose``). On a CPU it pays for
    dense networks together with ``precision="bfloat16"`` and measured
    slower for convolutional ones (see the speed section of the user
    guide). Where torch cannot compile
    (no C++ compiler, an unsupported platform) skae warns once and runs
    uncompiled, with the same results.
""",
    "random_state": """
random_state : int, RandomState instance or None, default=None
    Seeds the weight initialisation, the shuffling, the validation split
    and every random draw of training (corruption, sampled codes). An int
    gives identical results across calls on CPU. Seeding is local to the
    estimator: fitting never changes numpy's or torch's global random
    state.
""",
    "verbose": """
verbose : int, default=0
    0 is silent; 1 prints one line per epoch (epoch, training loss,
    validation loss, seconds); 2 and above also show a progress bar over
    the batches of each epoch.
""",
    "warm_start": """
warm_start : bool, default=False
    When True, ``fit`` continues training the previous network (and its
    optimizer state) instead of starting anew. The network's structure
    (``n_components``, ``architecture``, ``image_shape``, the layer sizes,
    ``activation``, ``encoder``, ``decoder`` and their arguments) cannot
    change then: a changed value raises ``ValueError``.
""",
    "checkpoint": """
checkpoint : str or path-like, default=None
    A file to which ``fit`` writes its whole state (weights, optimizer,
    learning-rate schedule, random generators, history) at the end of
    every epoch, atomically, in the safe format of :func:`skae.save`,
    signed with the user's own key. A ``fit`` with the same path,
    parameters and data resumes from it where a killed or interrupted fit
    stopped, and ends with the weights an uninterrupted fit would have; a
    checkpoint of another fit, or one that this user's key did not sign
    (planted), is a ``skae.ModelFileError``. The folder is checked before
    training starts. The file is removed when ``fit`` completes; after
    Ctrl-C (the model keeps the weights trained so far) or a crash it
    stays, so that the same ``fit`` resumes. Needs the ``persistence``
    extra; not for ``partial_fit`` or ``warm_start``. See
    :ref:`checkpoints`.
""",
    "module_params": """
**module_params : dict
    Keyword arguments of the user's ``encoder`` and ``decoder``, named
    ``encoder__<argument>`` and ``decoder__<argument>`` as in skorch. They
    are parameters like any other: ``get_params``, ``set_params``,
    ``clone`` and grid searches see them.
""",
    # ---------------------------------------------------------------- attributes
    "module_": """
module_ : skae.nn.AutoencoderNetwork
    The trained torch network, with ``encoder`` and ``decoder`` submodules.
""",
    "optimizer_": """
optimizer_ : torch.optim.Adam
    The optimizer, whose state ``warm_start`` and ``partial_fit`` carry on.
""",
    "device_": """
device_ : str
    The device the network lives on, e.g. ``"cpu"`` or ``"cuda:0"``.
""",
    "image_shape_": """
image_shape_ : tuple of int or None
    The ``(channels, height, width)`` of the images, with -1 resolved and
    the channel axis explicit; None when ``image_shape`` is None.
""",
    "resolved_attributes": f"""
{_RESOLVED}
""",
    "autoencoder_resolved_attributes": f"""
{_RESOLVED}

n_components_ : int
    The size of the code, ``n_components`` with ``"auto"`` resolved.

corruption_ : str or None
    The corruption trained with, ``corruption`` with ``"auto"`` resolved.

corruption_level_ : float
    Its level, ``corruption_level`` with ``"auto"`` resolved.
""",
    "training_attributes": """
n_iter_ : int
    Number of epochs run, counting every ``partial_fit`` call and every
    warm-started ``fit``.

loss_curve_ : list of float
    Mean training loss of each epoch.

best_loss_ : float or None
    The lowest training loss reached; None with ``early_stopping``.

validation_scores_ : list of float or None
    Negative mean validation loss of each epoch (greater is better, like
    ``score``); None without ``early_stopping``.

best_validation_score_ : float or None
    The best entry of ``validation_scores_``, whose weights were restored;
    None without ``early_stopping``.

n_features_in_ : int
    Number of features seen during :term:`fit`.

feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of features seen during :term:`fit`. Defined only when `X`
    has feature names that are all strings.
""",
}


#: The entries of the Displays' ``from_estimator`` and ``from_predictions``.
DISPLAY_ENTRIES = {
    "image_shape": """
image_shape : tuple of int, default=None
    ``(height, width)`` or ``(channels, height, width)``. None uses
    the estimator's ``image_shape_``.
""",
    "ax": """
ax : matplotlib Axes or array-like of matplotlib Axes, default=None
    Where to draw; see :meth:`plot`.
""",
    "im_kw": """
im_kw : dict, default=None
    Keywords passed to :meth:`matplotlib.axes.Axes.imshow`.
""",
}


def fill_doc(obj=None, *, entries=None):
    """Replace each ``{{name}}`` line of ``obj.__doc__`` with the shared entry ``name``.

    The one way skae shares docstring entries: the estimators' (the
    default), the Displays' (:data:`DISPLAY_ENTRIES`) and the data sets'.

    Parameters
    ----------
    obj : class or function, default=None
        Its docstring is rewritten in place. None gives the decorator that
        uses ``entries``.
    entries : dict of str to str, default=None
        The entries by name; None: the estimators'.

    Returns
    -------
    obj
    """
    if obj is None:
        return functools.partial(fill_doc, entries=entries)
    entries = _ENTRIES if entries is None else entries

    def entry(match):
        indent, name = match.group(1), match.group(2)
        return textwrap.indent(entries[name].strip("\n"), indent)

    obj.__doc__ = re.sub(r"^( *)\{\{(\w+)\}\}$", entry, obj.__doc__, flags=re.M)
    return obj
