"""One message's provider calls, kept in the delivery ledger so none is made twice.

Before each attempt the ledger records `sending`, and Kafka has that record before the provider
is called. When a later attempt finds `sending` (the worker died before the answer came, or
the request timed out), the provider may hold the message already: the guard waits until the
lost attempt is surely finished at the provider (`lookup_after_s`), asks it (`Sender.find`),
and sends only if the provider has no such message. A provider that cannot be asked gets the
message again, with a warning (channels/ledger.py says which).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from channels.base import Sender
from channels.errors import DeliveryError, LookupUnavailable, RetriableError
from channels.ledger import Ledger
from channels.messages import Message, Receipt
from channels.retry import Sleep

log = logging.getLogger(__name__)


class SendGuard:
    """The attempts of one message: a lookup first while in doubt, the ledger around each send."""

    def __init__(
        self,
        sender: Sender[Message],
        ledger: Ledger,
        partition: int,
        doubt: datetime | None,
        *,
        lookup_after_s: float,
        clock: Callable[[], datetime],
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.sender = sender
        self.ledger = ledger
        self.partition = partition
        self.doubt = doubt if sender.can_find else None  # when the unanswered attempt went out
        self.lookup_after_s = lookup_after_s
        self.clock = clock
        self.sleep = sleep
        self.found = False  # the provider had it from an earlier attempt

    async def settle(self) -> None:
        """Wait until an unanswered attempt is surely finished at the provider."""
        if self.doubt is not None:
            wait = self.lookup_after_s - (self.clock() - self.doubt).total_seconds()
            if wait > 0:
                await self.sleep(wait)

    async def look_up(self, message: Message) -> Receipt | None:
        """The provider's receipt if an unanswered attempt got through; None: send it."""
        if self.doubt is None:
            return None
        await self.settle()
        try:
            receipt = await self.sender.find(message, self.doubt)
        except LookupUnavailable as exc:
            log.warning(
                "%s: cannot tell whether an unanswered attempt got through (%s); sending again",
                message.notification_id,
                exc,
            )
            receipt = None
        self.doubt = None  # answered (a retriable failure of the lookup keeps the doubt)
        if receipt is not None:
            self.found = True
            log.warning(
                "%s: the provider accepted it before its answer was lost; not sent again",
                message.notification_id,
            )
        return receipt

    async def send(self, message: Message) -> Receipt:
        """One provider call, with the ledger's record of it before and its outcome after."""
        nid = message.notification_id
        if not self.sender.can_find:
            return await self.sender.send(message)
        went_out = await self.ledger.sending(self.partition, nid)
        try:
            return await self.sender.send(message)
        except RetriableError as exc:
            if exc.maybe_accepted:
                self.doubt = went_out  # ask before the next attempt
            else:
                await self.ledger.refused(self.partition, nid)
            raise
        except DeliveryError:
            await self.ledger.refused(self.partition, nid)
            raise
