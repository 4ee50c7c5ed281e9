"""A subset of Go's ``text/template``, for the commit message templates Flux users already have.

Flux renders ``ImageUpdateAutomation.spec.git.commit.messageTemplate`` with Go's ``text/template`` (plus a
few sprig functions); switching to image-updater must not mean rewriting them. This package is a separate
language from ``template.py`` (image-updater's own ``{field}`` templates) and implements what those templates
use: text, ``{{/* comments */}}``, ``{{-``/``-}}`` trimming, field chains on ``.``/``$``/variables,
``range`` (slices and maps, keys sorted as Go sorts them) with ``else``, ``if``/``else if``/``else``,
``with``, pipelines, ``$x := …`` declarations, and the functions in :data:`FUNCTIONS`.

Anything else (``define``, ``template``, ``block``, ``break``, ``continue``, ``$x = …`` re-assignment, other
functions) is a :class:`GoTemplateError` naming the construct and its line, raised by :func:`parse` — so a
template is refused when it is read, never silently rendered differently. Printing a value Go would format
with ``%v`` (a map, a list, a struct) is refused too, at render time: Go's formatting is not reproduced.

Text goes ``lexer`` → ``parser`` → ``tree`` → ``execute``; ``values`` (Go's truth, printing, key order) and
``functions`` (the one function table) are what parsing and rendering must agree on.
"""

from image_updater.delivery.gotemplate.errors import GoTemplateError
from image_updater.delivery.gotemplate.execute import GoTemplate
from image_updater.delivery.gotemplate.functions import FUNCTIONS
from image_updater.delivery.gotemplate.parser import parse
from image_updater.delivery.gotemplate.values import NO_VALUE, Stringer

__all__ = ["FUNCTIONS", "NO_VALUE", "GoTemplate", "GoTemplateError", "Stringer", "parse"]
