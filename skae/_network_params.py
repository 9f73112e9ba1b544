"""How a skae estimator turns its parameters into a network.

The structural parameters (sizes, architecture, image shape) make a
:class:`skae.nn.NetworkSpec`; the user's own encoder and decoder come with
``encoder__*`` / ``decoder__*`` arguments routed the skorch way, so that
``get_params``, ``set_params``, ``clone`` and grid searches see them; and the
fitted configuration remembers the structure the network was built with, so
that ``warm_start`` and ``partial_fit`` refuse a change of it (which
parameters count is the architecture record's ``structural``).
"""

import difflib

import torch

from skae._params import (
    MODULE_PREFIXES,
    STRUCTURAL_PARAMETERS,
    accepts_argument,
    positive_sizes,
    resolve_image_shape,
    same_value,
)
from skae.nn import ARCHITECTURES, NetworkSpec, build_autoencoder


class NetworkParamsMixin:
    """The network-shaping half of :class:`skae._base.BaseAutoencoder`; not for direct use."""

    def _store_params(self, arguments):
        """Store the arguments of ``__init__`` (its ``locals()``), unchanged.

        Every signature parameter becomes the attribute of its name, as in
        scikit-learn's estimators; the extra keyword arguments go to
        :meth:`_set_module_params`.
        """
        for name in self._get_param_names():
            setattr(self, name, arguments[name])
        self._set_module_params(arguments["module_params"])

    def _set_module_params(self, module_params):
        """Store the extra keyword arguments of ``__init__``, as skorch does.

        They live in one private dictionary, so that the public attributes of
        an unfitted estimator are exactly its signature's parameters. Only
        ``encoder__*`` and ``decoder__*`` are accepted: any other name is a
        typo, refused at once with the closest parameter's name.
        """
        for name in module_params:
            if not name.startswith(MODULE_PREFIXES):
                close = difflib.get_close_matches(name, self._get_param_names(), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise TypeError(
                    f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                    f"{name!r}.{hint} Besides its own parameters it takes only encoder__* "
                    "and decoder__* arguments for the user's modules."
                )
        self._module_kwargs = dict(module_params)

    def _extra_params(self):
        """Parameters beyond the signature's: ``encoder__*`` and ``decoder__*``."""
        return dict(getattr(self, "_module_kwargs", {}))

    def _check_extra_params(self):
        for name in self._extra_params():
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

    def _network_config(self, n_features, params):
        """The architecture, :class:`~skae.nn.NetworkSpec` and user's modules of a fit.

        ``params`` holds the fit's parameter values, ``"auto"`` resolved.
        """
        spec = NetworkSpec(
            n_features=n_features,
            n_components=params.n_components,
            image_shape=resolve_image_shape(self.image_shape, n_features),
            hidden_layer_sizes=positive_sizes(self.hidden_layer_sizes, "hidden_layer_sizes"),
            conv_channels=positive_sizes(self.conv_channels, "conv_channels"),
            activation=self.activation,
        )
        modules = [
            (role, getattr(self, role))
            for role in ("encoder", "decoder")
            if getattr(self, role) is not None
        ]
        return {
            "architecture": params.architecture,
            "spec": spec,
            "modules": tuple(modules + sorted(self._extra_params().items())),
        }

    def _build_network(self, config):
        """The autoencoder of a :class:`~skae._fitted.FittedConfig`, with the user's modules.

        Everything comes from the fitted configuration, never from today's
        parameters: the user's factories and their arguments are the ones the
        network was first built with, so a loaded model rebuilds the network
        it was saved with even if ``set_params`` changed them since.
        """
        modules = dict(config.modules)
        encoder = decoder = None
        if modules.get("encoder") is not None:
            encoder = _module_factory(modules, "encoder", {})
        if modules.get("decoder") is not None:
            injectable = {"n_components": config.spec.n_components}
            decoder = _module_factory(modules, "decoder", injectable)
        return build_autoencoder(
            config.spec,
            config.architecture,
            encoder=encoder,
            decoder=decoder,
            variational=self._variational,
        )

    def _check_structure_unchanged(self, config, reason):
        """Raise if ``config``, what fit would build now, differs in structure from the fitted."""
        fitted = self._config.structure(ARCHITECTURES[self._config.architecture])
        current = config.structure(ARCHITECTURES[config.architecture])
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
