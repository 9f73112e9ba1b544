"""Saving and loading skae models without pickle: JSON, safetensors and skops.io.

The layers, each using only those below it: :mod:`._archive` (the object
graph, skops) uses :mod:`._estimators` (records and estimators), which uses
:mod:`._codec` (plain values) and :mod:`._tensors` (safetensors parts); all
use :mod:`._container` (the zip, its manifest and limits) and
:mod:`._errors`. Checkpoints use the container and the codec only. This
package imports nothing itself, so that any of its layers can be imported
without the ones above.
"""
