"""livetrade's public test kit: builders for domain values and events.

Import from here in your own tests; nothing inside livetrade imports it.
"""

from livetrade.testing.builders import OrderEvents as OrderEvents
from livetrade.testing.builders import make_order as make_order
from livetrade.testing.builders import make_order_init as make_order_init

__all__ = ["OrderEvents", "make_order", "make_order_init"]
