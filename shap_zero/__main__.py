"""``python -m shap_zero``: see :mod:`shap_zero.cli`."""

import sys

from shap_zero.cli import main

sys.exit(main())
