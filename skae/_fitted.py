"""The records of the fit template: a training phase, the labels, the fitted configuration.

An estimator declares its training as a list of :class:`Phase` records
(the transformers one, :class:`~skae.AutoencoderClassifier` pretraining and
fine-tuning); :meth:`skae._base.BaseAutoencoder._fit` runs them through the
engine's one loop. The classifier's validated y is a :class:`Labels`.
What inference and scoring need is captured at ``fit`` in one immutable
:class:`FittedConfig` of plain data (numbers, strings, tuples, and the
user's module factories), which is what a saved model writes, so that no
method reads a parameter changed after ``fit``.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from skae._params import (
    MODULE_PREFIXES,
    STRUCTURAL_PARAMETERS,
    accepts_argument,
    factory_name,
    positive_sizes,
    resolve_image_shape,
    same_value,
)
from skae.nn import ARCHITECTURES, NetworkSpec, build_autoencoder


@dataclass(frozen=True)
class FittedConfig:
    """Everything a fitted estimator's inference reads besides its weights.

    Attributes
    ----------
    architecture : str
        The key of :data:`skae.nn.ARCHITECTURES` the network was built with.
    spec : NetworkSpec
        Sizes and shapes of the network.
    modules : tuple of (str, object) pairs
        The user's own modules, as ``("encoder", factory)``, and their
        ``encoder__*`` / ``decoder__*`` arguments; empty without them. The
        network is rebuilt from these, never from later parameters.
    loss : str
        The reconstruction loss, which also sets the decoder's output
        activation and the range ``X`` must lie in.
    objective : tuple of (str, float) pairs
        The weights of the scoring objective, e.g. ``(("beta", 1.0),)``.
    precision : str
        The precision trained and inferred in.
    compile : bool
        Whether inference runs through :func:`torch.compile`.
    """

    architecture: str
    spec: NetworkSpec
    modules: tuple = ()
    loss: str = "mse"
    objective: tuple = ()
    precision: str = "float32"
    compile: bool = False

    @classmethod
    def from_params(cls, params, n_features, objective=()):
        """The configuration a fit on ``n_features`` columns makes of its ``params``.

        ``params`` holds every parameter of the fit, ``"auto"`` resolved,
        ``encoder__*`` and ``decoder__*`` included; ``objective`` the weights
        of the scoring objective.
        """
        spec = NetworkSpec(
            n_features=n_features,
            n_components=params.n_components,
            image_shape=resolve_image_shape(params.image_shape, n_features),
            hidden_layer_sizes=positive_sizes(params.hidden_layer_sizes, "hidden_layer_sizes"),
            conv_channels=positive_sizes(params.conv_channels, "conv_channels"),
            activation=params.activation,
        )
        roles = [(role, getattr(params, role)) for role in ("encoder", "decoder")]
        arguments = sorted((k, v) for k, v in vars(params).items() if k.startswith(MODULE_PREFIXES))
        return cls(
            architecture=params.architecture,
            spec=spec,
            modules=tuple([(role, f) for role, f in roles if f is not None] + arguments),
            loss=params.loss,
            objective=objective,
            precision=params.precision,
            compile=params.compile,
        )

    def build_network(self, variational=False):
        """The autoencoder this configuration describes, with the user's modules.

        Everything comes from the configuration, never from an estimator's
        parameters: the user's factories and their arguments are the ones the
        network was first built with, so a loaded model rebuilds the network
        it was saved with even if ``set_params`` changed them since.
        """
        modules = dict(self.modules)
        encoder = decoder = None
        if modules.get("encoder") is not None:
            encoder = _module_factory(modules, "encoder", {})
        if modules.get("decoder") is not None:
            injectable = {"n_components": self.spec.n_components}
            decoder = _module_factory(modules, "decoder", injectable)
        return build_autoencoder(
            self.spec, self.architecture, encoder=encoder, decoder=decoder, variational=variational
        )

    def check_structure_unchanged(self, current, reason):
        """Raise if ``current``, what a fit would build now, differs in structure from this.

        ``reason`` is ``"warm_start"`` or ``"partial_fit"``, for the message.
        """
        fitted = self.structure(ARCHITECTURES[self.architecture])
        now = current.structure(ARCHITECTURES[current.architecture])
        for name in [*STRUCTURAL_PARAMETERS, *sorted(fitted.keys() | now.keys())]:
            if not same_value(fitted.get(name, "unused"), now.get(name, "unused")):
                how = (
                    "call fit (with warm_start=False) to train a new network"
                    if reason == "partial_fit"
                    else "set warm_start=False (or use a new estimator) to train a new network"
                )
                raise ValueError(
                    f"{name}={now.get(name, 'unused')!r} differs from "
                    f"{name}={fitted.get(name, 'unused')!r}, with which the fitted network "
                    f"was built; {reason} keeps training that network, whose structure "
                    f"cannot change. To change it, {how}."
                )

    def structure(self, record):
        """The values that shaped the network, by parameter name, for ``warm_start``'s check.

        ``record`` is the :class:`skae.nn.Architecture` of ``architecture``.
        Only what a builder used counts: the record's structural fields when
        a built-in half was used, and the user's modules.
        """
        structure = {"n_components": self.spec.n_components, "image_shape": self.spec.image_shape}
        roles = {name: factory_name(value) if name in ("encoder", "decoder") else value
                 for name, value in self.modules}  # fmt: skip
        if "encoder" not in roles or "decoder" not in roles:
            structure["architecture"] = self.architecture
            structure.update({name: getattr(self.spec, name) for name in record.structural})
        return {**structure, **roles}


@dataclass(frozen=True)
class Phase:
    """One stage of training, as an estimator declares it: its data, not its batches.

    The fit template turns it into batch sources, a validation split and
    an optimizer (:func:`skae._training.phase_batches`).

    Attributes
    ----------
    name : str
        Shown in warnings, e.g. ``"pretraining"``.
    max_iter : int
        Its epoch budget; 0 skips it.
    objective : callable
        ``objective(generator) -> objective`` for :func:`skae.nn.fit_loop`,
        drawing its random numbers from ``generator``.
    data : skae._training.PhaseData
        The rows it trains on: all of X, or labeled rows (and unlabeled ones
        beside them).
    batch_size : int
        Rows (labeled rows, for a classification phase) per step; fewer
        rows than that make one batch.
    holds_out : bool, default=False
        Whether it holds out ``validation_fraction`` of its rows and watches
        their loss (``early_stopping``).
    submodule : str, default=None
        The attribute of the network this phase trains; None trains it all.
    keeps_optimizer : bool, default=True
        Whether its optimizer becomes ``optimizer_`` (which ``warm_start``
        and ``partial_fit`` continue) and its history the fitted
        ``loss_curve_``.
    """

    name: str
    max_iter: int
    objective: Any
    data: Any
    batch_size: int
    holds_out: bool = False
    submodule: str | None = None
    keeps_optimizer: bool = True


@dataclass(frozen=True)
class Labels:
    """What the classifier's phases need of y.

    Attributes
    ----------
    labeled : ndarray of bool
        The rows of X that carry a label (not -1).
    y_index : ndarray of int
        The class index of each labeled row, into ``classes``.
    classes : ndarray
        The classes, sorted.
    """

    labeled: np.ndarray
    y_index: np.ndarray
    classes: np.ndarray


@dataclass(frozen=True)
class Seeds:
    """The seeds of every fit: one :class:`numpy.random.SeedSequence` spawned per call.

    ``entropy`` comes from ``random_state`` at the first fit; call ``k``
    (counted by ``n_calls``, so that ``partial_fit`` and ``warm_start`` draw
    new numbers) uses the child with spawn key ``(k,)``. Plain data, so that
    it pickles and saves.
    """

    entropy: int
    n_calls: int = 0

    @classmethod
    def from_random_state(cls, random_state):
        """Seeds from an int, a RandomState (advanced once) or None (fresh OS entropy)."""
        if random_state is None:
            return cls(int(np.random.SeedSequence().entropy))
        if isinstance(random_state, np.random.RandomState):
            return cls(int(random_state.randint(np.iinfo(np.int32).max)))
        return cls(int(random_state))

    def sequence(self):
        """The :class:`~numpy.random.SeedSequence` of call ``n_calls``."""
        return np.random.SeedSequence(self.entropy, spawn_key=(self.n_calls,))

    def advanced(self):
        """The seeds of the call after this one."""
        return Seeds(self.entropy, self.n_calls + 1)


def _module_factory(modules, role, injectable):
    """A no-argument factory for the user's ``role`` module, with its arguments.

    ``modules`` maps ``role`` to the factory and ``<role>__<name>`` to its
    arguments. ``injectable`` arguments are passed when the factory takes
    them and the user did not set them.
    """
    factory = modules[role]
    prefix = f"{role}__"
    kwargs = {
        name[len(prefix) :]: value for name, value in modules.items() if name.startswith(prefix)
    }
    for name, value in injectable.items():
        if name not in kwargs and accepts_argument(factory, name):
            kwargs[name] = value

    def build():
        try:
            return factory(**kwargs)
        except TypeError as exc:
            raise ValueError(
                f"{role}={getattr(factory, '__name__', factory)!r} could not be built "
                f"with {kwargs}: {exc}"
            ) from exc

    return build
