"""asyncio: AsyncDatabase and AsyncRepository, the same API awaited."""

import asyncio

from typedorm import AUTO, PK, AsyncDatabase, AsyncRepository, Col, Model, column


class Task(Model, table="tasks"):
    id: PK[int] = column(default=AUTO)
    title: Col[str]
    done: Col[bool] = column(default=False)


# --8<-- [start:main]
async def main() -> None:
    async with AsyncDatabase("sqlite:///:memory:") as db:  # aiosqlite underneath
        await db.create_all(Task)
        tasks = AsyncRepository(Task, db)  # AsyncRepository[Task]

        first = await tasks.insert(Task(title="write docs"))  # a Task, id set
        await tasks.insert_many([Task(title="test them"), Task(title="ship", done=True)])

        open_tasks = tasks.filter(Task.done == False).order_by(Task.id)  # noqa: E712 - builds SQL, no I/O
        print([t.title for t in await open_tasks.all()])  # list[Task]
        print(await tasks.get(first.id) == first, await open_tasks.count())

        async for task in tasks.order_by(Task.id).iterate(batch_size=2):  # streams
            print(task.id, task.title, task.done)

        async with db.transaction():  # nested blocks are savepoints, as in sync code
            await tasks.update(Task.id == first.id, Task.done.set(True))

        counts = await asyncio.gather(tasks.count(), tasks.filter(Task.done == True).count())  # noqa: E712
        print(counts)


asyncio.run(main())
# --8<-- [end:main]
