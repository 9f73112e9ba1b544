"""How a skae estimator turns its parameters into a network.

The structural parameters (sizes, architecture, image shape) make a
:class:`skae.nn.NetworkSpec`; the user's own encoder and decoder come with
``encoder__*`` / ``decoder__*`` arguments routed the skorch way, so that
``get_params``, ``set_params``, ``clone`` and grid searches see them; and a
fitted network remembers the structure it was built with, so that
``warm_start`` and ``partial_fit`` refuse a change of it.
"""

import torch

from skae import nn as engine
from skae._params import (
    MODULE_PREFIXES,
    STRUCTURAL_PARAMETERS,
    accepts_argument,
    positive_sizes,
    resolve_image_shape,
    same_value,
)


class NetworkParamsMixin:
    """The network-shaping half of :class:`skae._base.BaseAutoencoder`; not for direct use."""

    def _set_module_params(self, module_params):
        """Store the extra keyword arguments of ``__init__``, as skorch does.

        They live in one private dictionary, so that the public attributes of
        an unfitted estimator are exactly its signature's parameters; they
        are checked at ``fit``, where only ``encoder__*`` and ``decoder__*``
        are routed anywhere.
        """
        self._module_kwargs = dict(module_params)

    def _extra_params(self):
        """Parameters beyond the signature's: ``encoder__*`` and ``decoder__*``."""
        return dict(getattr(self, "_module_kwargs", {}))

    def _module_params(self, prefix):
        """The ``<prefix>*`` parameters, e.g. ``encoder__channels``."""
        return {
            name: value for name, value in self._extra_params().items() if name.startswith(prefix)
        }

    def _check_extra_params(self):
        for name in self._extra_params():
            if not name.startswith(MODULE_PREFIXES):
                raise ValueError(
                    f"{type(self).__name__} got an unknown parameter {name!r}; besides "
                    "its own parameters it takes only encoder__* and decoder__* "
                    "arguments for the user's modules."
                )
            role = name.split("__")[0]
            if getattr(self, role) is None:
                raise ValueError(
                    f"{name} is set, but {role}=None: the {role}__* arguments go to the "
                    f"user's own {role} module. Set {role} to a module class or factory."
                )
        for role in ("encoder", "decoder"):
            if isinstance(getattr(self, role), torch.nn.Module):
                raise ValueError(
                    f"{role} must be a torch.nn.Module class or a factory function, not a "
                    f"module instance ({type(getattr(self, role)).__name__}): skae builds a "
                    "fresh module for every fit, so that clones and grid searches never "
                    "share weights. Pass the class, and its arguments as "
                    f"{role}__<name>=value."
                )

    def get_params(self, deep=True):
        """Get parameters for this estimator, ``encoder__*`` and ``decoder__*`` included.

        Parameters
        ----------
        deep : bool, default=True
            If True, will return the parameters for this estimator and
            contained subobjects that are estimators.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return {**super().get_params(deep=deep), **self._extra_params()}

    def set_params(self, **params):
        """Set the parameters of this estimator, ``encoder__*`` and ``decoder__*`` included.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
            Estimator instance.
        """
        routed = [n for n in params if n.startswith(MODULE_PREFIXES) or n in self._module_kwargs]
        if routed:
            self._module_kwargs = {
                **self._module_kwargs,
                **{name: params.pop(name) for name in routed},
            }
        return super().set_params(**params) if params else self

    def _network_spec(self, n_features):
        image_shape = resolve_image_shape(self.image_shape, n_features)
        if self.corruption == "cutout" and image_shape is None:
            raise ValueError(
                "corruption='cutout' cuts squares out of images, so it needs image_shape, "
                "e.g. image_shape=(28, 28)."
            )
        needs_shape = self.encoder is None or self.decoder is None
        if self.architecture != "dense" and image_shape is None and needs_shape:
            raise ValueError(
                f"architecture={self.architecture!r} needs image_shape, e.g. "
                "image_shape=(28, 28) for 28x28 grayscale images or (3, 32, 32) for 32x32 "
                "colour images."
            )
        conv_channels = positive_sizes(self.conv_channels, "conv_channels")
        if self.architecture != "dense" and needs_shape and not conv_channels:
            raise ValueError("conv_channels needs at least one stage, got ().")
        return engine.NetworkSpec(
            n_features=n_features,
            n_components=self.n_components,
            image_shape=image_shape,
            hidden_layer_sizes=positive_sizes(self.hidden_layer_sizes, "hidden_layer_sizes"),
            conv_channels=conv_channels,
            activation=self.activation,
        )

    def _build_network(self, spec):
        encoder = decoder = None
        if self.encoder is not None:
            encoder = self._module_factory("encoder", {})
        if self.decoder is not None:
            decoder = self._module_factory("decoder", {"n_components": spec.n_components})
        return engine.build_autoencoder(
            spec,
            self.architecture,
            encoder=encoder,
            decoder=decoder,
            variational=self._variational,
        )

    def _module_factory(self, role, injectable):
        """A no-argument factory for the user's ``role`` module, with its arguments.

        ``injectable`` arguments are passed when the factory takes them and
        the user did not set them.
        """
        factory = getattr(self, role)
        prefix = f"{role}__"
        kwargs = {name[len(prefix) :]: value for name, value in self._module_params(prefix).items()}
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

    def _check_structure_unchanged(self, reason):
        fitted = getattr(self, "_structure", None)
        if fitted is None:  # a model pickled before skae recorded its structure
            return
        current = self._current_structure(self.n_features_in_)
        for name in [*STRUCTURAL_PARAMETERS, *sorted(fitted.keys() | current.keys())]:
            if not same_value(fitted.get(name, "unused"), current.get(name, "unused")):
                how = (
                    "call fit (with warm_start=False) to train a new network"
                    if reason == "partial_fit"
                    else "set warm_start=False (or use a new estimator) to train a new network"
                )
                raise ValueError(
                    f"{name}={current.get(name, 'unused')!r} differs from "
                    f"{name}={fitted.get(name, 'unused')!r}, with which the fitted network "
                    f"was built; {reason} keeps training that network, whose structure "
                    f"cannot change. To change it, {how}."
                )

    def _current_structure(self, n_features):
        """The parameters that shape the network as it would be built now.

        Only what a builder uses counts: the dense sizes for a dense half, the
        conv stages and image shape for a conv half, the class and its
        arguments for the user's own half.
        """
        names = {"n_components"}
        builtin = self.encoder is None or self.decoder is None
        if builtin:
            names |= {"architecture", "activation"}
            if self.architecture == "dense":
                names.add("hidden_layer_sizes")
            else:
                names |= {"conv_channels", "image_shape"}
        if self.encoder is not None:
            names |= {"encoder", "image_shape"}
        if self.decoder is not None:
            names.add("decoder")
        structure = {name: getattr(self, name) for name in names}
        if "image_shape" in structure:
            structure["image_shape"] = resolve_image_shape(self.image_shape, n_features)
        return {**structure, **self._extra_params()}
